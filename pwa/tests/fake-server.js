// A small in-memory stand-in for the GridLink sync API (docs/sync.md), behind a fake fetch.
// It keeps the rules the client depends on: devices bound to users, seq order with gaps,
// exactly-once receipts by command id and (device, seq), a paged snapshot then a change feed,
// 410 resync, 401 without a session, CSRF on unsafe requests.

export function createFakeServer({ users = [{ id: 1, name: '彭旭', phone: '13900000001', password: 'pw' }] } = {}) {
  const state = {
    users,
    session: null, // user id of the cookie session
    token: 'tok-0',
    tokens: 0,
    devices: new Map(), // device id -> {user_id, last_seq}
    commands: new Map(), // command id -> stored receipt
    bySeq: new Map(), // `${device}:${seq}` -> command id
    entities: new Map(), // `${entity}:${id}` -> data
    history: [], // {entity, id} per change, position = index + 1
    pushes: [], // every push body received, in order
    applied: [], // command ids whose effects were applied (to prove no double effect)
    // knobs for tests
    loseNextPushResponse: false,
    expireCursors: false,
    dropScopesNext: null,
    pushStatus: null, // e.g. 503: answer every push with this status
    inFlight: 0,
    maxInFlight: 0,
  }

  function bumpToken() {
    state.tokens += 1
    state.token = `tok-${state.tokens}`
    return state.token
  }

  function record(entity, id, data) {
    if (data === null) state.entities.delete(`${entity}:${id}`)
    else state.entities.set(`${entity}:${id}`, data)
    state.history.push({ entity, id })
  }

  /** Test helpers: put an entity as if a secretary made it. */
  function seedTask(task) {
    const data = { claimed: 0, holders: [], mine: false, state: 'open', capacity: 1, grid: { code: '520602002001001' }, community: { code: '520602002001' }, ...task }
    record('task', data.id, data)
    return data
  }

  function seedIncident(incident) {
    const data = { state: 'reported', grid: { code: '520602002001001' }, community: { code: '520602002001' }, ...incident }
    record('incident', data.id, data)
    return data
  }

  function seedRollcall(call) {
    const data = { message: '请立即应答', drill: false, closed_at: null, mine: { asked: true, acknowledged_at: null }, ...call }
    record('rollcall', data.id, data)
    return data
  }

  function seedMessage(message) {
    const data = { kind: 'dispatch', title: '派单', body: null, entity: null, entity_id: null, critical: false, read_at: null, created_at: '2026-07-01T08:00:00+08:00', ...message }
    state.entities.set(`message:${data.id}`, data)
    state.history.push({ entity: 'message', id: data.id })
    return data
  }

  class Refusal extends Error {
    constructor(code, message, fields = {}) {
      super(message)
      this.code = code
      this.fields = fields
    }
  }

  const HANDLERS = {
    'incident.report': (user, args) => {
      const existing = state.entities.get(`incident:${args.id}`)
      if (existing) return existing // a report sent again returns the original
      if (!args.description) throw new Refusal('validation_error', 'Some fields are invalid.', { description: ['required'] })
      const data = {
        id: args.id,
        category: { code: args.category },
        description: args.description,
        lat: args.lat,
        lng: args.lng,
        state: 'reported',
        reporter: { id: user.id, name: user.name },
        grid: { code: '520602002001001' },
        community: { code: '520602002001' },
        street: { code: '520602002' },
      }
      record('incident', args.id, data)
      return data
    },
    'task.claim': (user, args) => {
      const task = state.entities.get(`task:${args.id}`)
      if (!task) throw new Refusal('not_found', 'No such task.')
      if (task.holders.some((h) => h.user_id === user.id)) return task
      if (task.claimed >= task.capacity) {
        const holders = task.holders.map((h) => h.name).join(', ')
        throw new Refusal('task_full', `Every place is taken (${holders}).`, { _extra: { holders: task.holders } })
      }
      const data = { ...task, claimed: task.claimed + 1, holders: [...task.holders, { user_id: user.id, name: user.name }] }
      record('task', args.id, data)
      return data
    },
    // Once, however often resent; the acknowledgement is a change the caller pulls.
    'rollcall.ack': (user, args) => {
      const call = state.entities.get(`rollcall:${args.id}`)
      if (!call) throw new Refusal('not_found', 'No such roll-call.')
      if (call.mine.acknowledged_at) return call
      const data = { ...call, mine: { ...call.mine, acknowledged_at: '2026-07-01T08:05:00+08:00' } }
      record('rollcall', args.id, data)
      return data
    },
    // Reading writes no history: no pull brings the message back (as on the real server).
    'message.read': (user, args) => {
      const message = state.entities.get(`message:${args.id}`)
      if (!message) throw new Refusal('not_found', 'No such message.')
      if (!message.read_at) state.entities.set(`message:${args.id}`, { ...message, read_at: 'now' })
      return message
    },
    'task.release': (user, args) => {
      const task = state.entities.get(`task:${args.id}`)
      const data = { ...task, claimed: task.claimed - 1, holders: task.holders.filter((h) => h.user_id !== user.id) }
      record('task', args.id, data)
      return data
    },
  }

  function view(entity, data, user) {
    if (entity === 'task') return { ...data, mine: data.holders.some((h) => h.user_id === user.id) }
    return data
  }

  function receipt(stored, duplicate) {
    return { ...stored, status: duplicate ? 'duplicate' : stored.outcome }
  }

  function push(user, body) {
    state.pushes.push(body)
    let device = state.devices.get(body.device_id)
    if (!device) {
      device = { user_id: user.id, last_seq: 0 }
      state.devices.set(body.device_id, device)
    }
    if (device.user_id !== user.id) return [409, { error: { code: 'device_taken', message: 'Device of another user.', fields: {} } }]
    const results = []
    for (const command of [...body.commands].sort((a, b) => a.seq - b.seq)) {
      const knownId = state.commands.get(command.command_id) ?? state.commands.get(state.bySeq.get(`${body.device_id}:${command.seq}`))
      if (knownId) {
        if (knownId.command_id !== command.command_id) {
          results.push({ command_id: command.command_id, seq: command.seq, status: 'rejected', outcome: 'rejected', error: { code: 'id_taken', message: 'Taken.', fields: {} } })
        } else results.push(receipt(knownId, true))
        continue
      }
      if (command.seq !== device.last_seq + 1) {
        results.push({ command_id: command.command_id, seq: command.seq, status: 'gap', outcome: null, result: null, expected_seq: device.last_seq + 1, error: { code: 'gap', message: 'gap', fields: {} } })
        break
      }
      let stored
      try {
        const changed = HANDLERS[command.type](user, command.args)
        state.applied.push(command.command_id)
        stored = { command_id: command.command_id, seq: command.seq, outcome: 'applied', result: { entity: command.type.split('.')[0], id: changed.id } }
      } catch (refusal) {
        if (!(refusal instanceof Refusal)) throw refusal
        stored = { command_id: command.command_id, seq: command.seq, outcome: 'rejected', result: null, error: { code: refusal.code, message: refusal.message, fields: refusal.fields } }
      }
      state.commands.set(command.command_id, stored)
      state.bySeq.set(`${body.device_id}:${command.seq}`, command.command_id)
      device.last_seq = command.seq
      results.push(receipt(stored, false))
    }
    return [200, { results, last_seq: device.last_seq }]
  }

  function cursorOf(user, position, snapshotAt) {
    return JSON.stringify({ u: user.id, p: position, s: snapshotAt })
  }

  function pull(user, query) {
    const limit = Number(query.get('limit') || 500)
    const token = query.get('cursor')
    if (token && state.expireCursors) return [410, { error: { code: 'resync', message: 'Take a new snapshot.', fields: {} } }]
    let cursor = token ? JSON.parse(token) : null
    if (cursor && cursor.u !== user.id) return [400, { error: { code: 'bad_cursor', message: 'Another user.', fields: {} } }]
    const drop = state.dropScopesNext ?? []
    state.dropScopesNext = null
    if (!cursor) cursor = { p: state.history.length, s: 0 }
    if (cursor.s !== null && cursor.s !== undefined) {
      // Snapshot: every entity as it is now, paged by its place in the key order.
      const all = [...state.entities.entries()].sort(([a], [b]) => a.localeCompare(b))
      const page = all.slice(cursor.s, cursor.s + limit)
      const next = cursor.s + page.length
      const done = next >= all.length
      const changes = page.map(([key, data]) => {
        const entity = key.slice(0, key.indexOf(':'))
        // The id as the entity has it (a message's is a number, as on the real server).
        return { entity, id: data.id ?? key.slice(entity.length + 1), op: 'put', data: view(entity, data, user) }
      })
      return [200, { changes, cursor: cursorOf(user, cursor.p, done ? null : next), has_more: !done, snapshot: true, drop_scopes: drop }]
    }
    const rows = state.history.slice(cursor.p, cursor.p + limit)
    const seen = new Set()
    const changes = []
    for (const { entity, id } of rows) {
      if (seen.has(`${entity}:${id}`)) continue
      seen.add(`${entity}:${id}`)
      const data = state.entities.get(`${entity}:${id}`)
      changes.push(data ? { entity, id, op: 'put', data: view(entity, data, user) } : { entity, id, op: 'del', data: null })
    }
    const position = cursor.p + rows.length
    return [200, { changes, cursor: cursorOf(user, position, null), has_more: position < state.history.length, snapshot: false, drop_scopes: drop }]
  }

  function json(status, body, headers = {}) {
    return new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
  }

  async function fetch(url, init = {}) {
    const method = init.method || 'GET'
    const { pathname, searchParams } = new URL(url, 'http://gridlink.test')
    state.inFlight += 1
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
    try {
      await new Promise((resolve) => setTimeout(resolve, 1))
      const headers = init.headers || {}
      if (method !== 'GET' && headers['X-CSRFToken'] !== state.token) {
        return json(400, { error: { code: 'csrf_failed', message: 'CSRF check failed.', fields: {} } })
      }
      const body = init.body ? JSON.parse(init.body) : null
      if (pathname === '/api/auth/csrf') return json(200, { csrf_token: state.token })
      if (pathname === '/api/auth/login') {
        const user = state.users.find((u) => u.phone === body.phone && u.password === body.password)
        if (!user) return json(401, { error: { code: 'bad_login', message: 'Wrong phone or password.', fields: {} } })
        state.session = user.id
        return json(200, { id: user.id, name: user.name, role: 'grid_member', units: [] }, { 'X-CSRFToken': bumpToken() })
      }
      if (pathname === '/api/auth/logout') {
        state.session = null
        bumpToken()
        return json(204, null)
      }
      const user = state.users.find((u) => u.id === state.session)
      if (!user) return json(401, { error: { code: 'unauthorized', message: 'Log in first.', fields: {} } })
      if (pathname === '/api/sync/push') {
        if (state.pushStatus) return json(state.pushStatus, { error: { code: 'unavailable', message: 'Down.', fields: {} } })
        const [status, answer] = push(user, body)
        if (state.loseNextPushResponse) {
          // Committed, but the answer never reaches the phone.
          state.loseNextPushResponse = false
          throw new TypeError('Failed to fetch')
        }
        return json(status, answer)
      }
      if (pathname === '/api/sync/pull') {
        const [status, answer] = pull(user, searchParams)
        return json(status, answer)
      }
      return json(404, { error: { code: 'not_found', message: 'Not found.', fields: {} } })
    } finally {
      state.inFlight -= 1
    }
  }

  return {
    state,
    fetch,
    seedTask,
    seedIncident,
    seedRollcall,
    seedMessage,
    record,
    logIn(userId) {
      state.session = userId
    },
    expireSession() {
      state.session = null
    },
  }
}
