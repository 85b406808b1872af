// The phone's IndexedDB, as the sync engine uses it: tables with get/put/add/update/delete,
// reads by an index, transactions over several tables, and live queries that run again when
// a table they read changes, in this tab or another. It replaces Dexie (30 kB of the first
// screen's script, gzipped), keeping the database Dexie made on the phones (its version 1 is
// IndexedDB's version 10), so an update keeps every queued command and photo.
//
// A transaction is the callback's argument: its tables (tx.outbox, ...) read and write in it,
// and the callback awaits nothing but them (IndexedDB commits a transaction that waits on
// anything else: the next request then fails and the callback's error aborts the rest).

const request = (req) =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })

function ended(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(tx.error || new DOMException('The transaction was aborted', 'AbortError'))
  })
}

/** Rows of a table, or of an index's key ranges, with filters: as Dexie's Collection. */
class Collection {
  constructor(table, { index = null, ranges = null, filters = [] } = {}) {
    Object.assign(this, { table, index, ranges, filters })
  }

  filter(fn) {
    return new Collection(this.table, { index: this.index, ranges: this.ranges, filters: [...this.filters, fn] })
  }

  toArray() {
    return this.table.run('readonly', async (store) => {
      const source = this.index && this.index !== store.keyPath ? store.index(this.index) : store
      const parts = await Promise.all((this.ranges ?? [undefined]).map((range) => request(source.getAll(range))))
      return parts.flat().filter((row) => this.filters.every((fn) => fn(row)))
    })
  }

  async primaryKeys() {
    const keyPath = this.table.keyPath
    const key = (row) => (Array.isArray(keyPath) ? keyPath.map((k) => row[k]) : row[keyPath])
    return (await this.toArray()).map(key)
  }

  async count() {
    return (await this.toArray()).length
  }
}

class Table {
  /** run(mode, work): work(objectStore) in a transaction, the caller's or one of its own. */
  constructor(name, keyPath, run) {
    Object.assign(this, { name, keyPath, run })
  }

  get(key) {
    return this.run('readonly', (store) => request(store.get(key)))
  }

  put(row) {
    return this.run('readwrite', (store) => request(store.put(row)))
  }

  add(row) {
    return this.run('readwrite', (store) => request(store.add(row)))
  }

  delete(key) {
    return this.run('readwrite', (store) => request(store.delete(key)))
  }

  bulkDelete(keys) {
    return this.run('readwrite', (store) => Promise.all(keys.map((key) => request(store.delete(key)))))
  }

  clear() {
    return this.run('readwrite', (store) => request(store.clear()))
  }

  /** Changes some fields of a row; resolves 1, or 0 when there is no such row. */
  update(key, changes) {
    return this.run('readwrite', async (store) => {
      const row = await request(store.get(key))
      if (row === undefined) return 0
      await request(store.put({ ...row, ...changes }))
      return 1
    })
  }

  toArray() {
    return new Collection(this).toArray()
  }

  count() {
    return this.run('readonly', (store) => request(store.count()))
  }

  filter(fn) {
    return new Collection(this).filter(fn)
  }

  /** where(index or the primary key's name).equals(key) | anyOf(...keys) | startsWith(prefix) */
  where(index) {
    const only = (key) => IDBKeyRange.only(key)
    return {
      equals: (key) => new Collection(this, { index, ranges: [only(key)] }),
      anyOf: (...keys) => new Collection(this, { index, ranges: keys.map(only) }),
      startsWith: (prefix) => new Collection(this, { index, ranges: [IDBKeyRange.bound(prefix, `${prefix}\uffff`)] }),
    }
  }
}

/**
 * openDatabase(name, version, stores): stores is {table: {key, indexes: {name: {keyPath,
 * unique}}}}; what a version lacks is created on opening. Returns the database: its tables
 * as properties, transaction(), onChange() and close(). Opens on first use.
 */
export function openDatabase(name, version, stores, { indexedDB = globalThis.indexedDB } = {}) {
  let opening = null
  const listeners = new Set()
  let channel = null

  function open() {
    opening ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(name, version)
      req.onupgradeneeded = () => {
        const idb = req.result
        for (const [table, { key, indexes = {} }] of Object.entries(stores)) {
          const store = idb.objectStoreNames.contains(table) ? req.transaction.objectStore(table) : idb.createObjectStore(table, { keyPath: key })
          for (const [index, { keyPath, unique = false }] of Object.entries(indexes)) {
            if (!store.indexNames.contains(index)) store.createIndex(index, keyPath, { unique })
          }
        }
      }
      req.onsuccess = () => {
        const idb = req.result
        // A newer version of the app opens the database in another tab: let it upgrade; this
        // tab opens it again on its next read or write.
        idb.onversionchange = () => {
          idb.close()
          opening = null
        }
        resolve(idb)
      }
      req.onerror = () => {
        opening = null
        reject(req.error)
      }
      req.onblocked = () => {} // waits for the other tab to close it (onversionchange there)
    })
    return opening
  }

  // The other tabs' connections hear of this one's writes (and this one of theirs).
  function tabs() {
    if (!channel && typeof BroadcastChannel !== 'undefined') {
      channel = new BroadcastChannel(`gridlink-idb:${name}`)
      channel.onmessage = (event) => changed(event.data, true)
      channel.unref?.() // Node (the tests): an open channel keeps no process alive
    }
    return channel
  }

  function changed(names, fromOtherTab = false) {
    for (const listener of listeners) listener(names)
    if (!fromOtherTab) tabs()?.postMessage(names)
  }

  // A table outside a transaction: each call is its own, and a write resolves once committed.
  const standalone = (table) => async (mode, work) => {
    const tx = (await open()).transaction(table, mode)
    const done = ended(tx)
    const result = await work(tx.objectStore(table)).catch((error) => {
      done.catch(() => {})
      throw error
    })
    await done
    if (mode === 'readwrite') changed([table])
    return result
  }

  const db = {
    name,
    /** transaction('rw' | 'r', table, ..., async (tx) => ...): all or nothing. */
    async transaction(mode, ...args) {
      const fn = args.pop()
      const names = args.map((table) => table.name)
      const raw = (await open()).transaction(names, mode === 'rw' ? 'readwrite' : 'readonly')
      const done = ended(raw)
      // Only the tables it wrote to are said to have changed: a live query over a table the
      // transaction only read does not run again.
      const written = new Set()
      const run = (table) => (mode, work) => {
        if (mode === 'readwrite') written.add(table)
        return work(raw.objectStore(table))
      }
      const tx = Object.fromEntries(names.map((table) => [table, new Table(table, db[table].keyPath, run(table))]))
      let result
      try {
        result = await fn(tx)
      } catch (error) {
        done.catch(() => {})
        try {
          raw.abort()
        } catch {
          // already committed or aborted
        }
        throw error
      }
      await done
      if (written.size) changed([...written])
      return result
    },
    /** listener(tableNames) after every committed write, in this tab or another. */
    onChange(listener) {
      listeners.add(listener)
      tabs()
      return () => listeners.delete(listener)
    },
    async close() {
      channel?.close()
      channel = null
      const idb = await opening
      opening = null
      idb?.close()
    },
  }
  for (const [table, { key }] of Object.entries(stores)) db[table] = new Table(table, key, standalone(table))
  return db
}

/**
 * liveQuery(db, tables, query): query() now, and again after each write to one of the tables
 * (one run at a time; writes during a run make one more). subscribe({next, error}) returns
 * {unsubscribe}.
 */
export function liveQuery(db, tables, query) {
  return {
    subscribe({ next, error = () => {} }) {
      let closed = false
      let running = false
      let again = false
      async function run() {
        if (running) {
          again = true
          return
        }
        running = true
        do {
          again = false
          try {
            const value = await query()
            if (!closed) next(value)
          } catch (e) {
            if (!closed) error(e)
          }
        } while (again && !closed)
        running = false
      }
      const off = db.onChange((names) => {
        if (names.some((name) => tables.includes(name))) run()
      })
      run()
      return {
        unsubscribe() {
          closed = true
          off()
        },
      }
    },
  }
}
