// The case number a member reads out (to the secretary, on the phone): the first eight hex
// digits of the incident's id (a UUID made on the phone, so it exists offline too), in
// capitals. Short enough to say; the full id stays the key everywhere.
export function caseNumber(id) {
  return String(id || '').replace(/-/g, '').slice(0, 8).toUpperCase()
}
