// Where each role's work is, the first screen after login and the first tab: members at home,
// secretaries at the dispatch desk, street and district admins on their area's overview,
// departments on the cases they were called to (吹哨), party members on the wish wall.
const LANDINGS = {
  secretary: { name: 'desk', path: '/desk', icon: 'cluster-o', label: 'tabs.desk' },
  street_admin: { name: 'overview', path: '/overview', icon: 'chart-trending-o', label: 'tabs.overview' },
  district_admin: { name: 'overview', path: '/overview', icon: 'chart-trending-o', label: 'tabs.overview' },
  department: { name: 'called', path: '/called', icon: 'bullhorn-o', label: 'tabs.called' },
  party_member: { name: 'wishes', path: '/wishes', icon: 'like-o', label: 'tabs.wishes' },
  // 联户长: its own group's households (masked), and from there an alarm.
  liaison: { name: 'households', path: '/households', icon: 'wap-home-o', label: 'tabs.households' },
}
const HOME = { name: 'home', path: '/', icon: 'home-o', label: 'tabs.home' }

export function landing(role) {
  return LANDINGS[role] || HOME
}
