// The HTTP client of the API: JSON, the session cookie, the CSRF token, one error shape.

/** An answer of the API other than 2xx: status plus the {code, message, fields} of /api. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {}
    super(error.message || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.code = error.code || (status === 401 ? 'unauthorized' : `http_${status}`)
    this.fields = error.fields || {}
    this.body = body
  }
}

/** No answer at all: offline, DNS, a reset connection. Nothing was processed that we know of. */
export class NetworkError extends Error {
  constructor(cause) {
    super(cause?.message || 'network error')
    this.name = 'NetworkError'
    this.cause = cause
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * createApi({fetch, base}) → {get, post, request, login, logout, csrf}.
 * fetch is injected so that tests can put a fake server behind it.
 */
export function createApi({ fetch: doFetch = globalThis.fetch?.bind(globalThis), base = '' } = {}) {
  let token = null

  async function csrf() {
    const response = await send('GET', '/api/auth/csrf')
    token = response.body.csrf_token
    return token
  }

  async function send(method, path, body, headers = {}) {
    const init = {
      method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', ...headers },
    }
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    if (UNSAFE.has(method) && token) init.headers['X-CSRFToken'] = token
    let response
    try {
      response = await doFetch(base + path, init)
    } catch (cause) {
      throw new NetworkError(cause)
    }
    const fresh = response.headers?.get?.('X-CSRFToken')
    if (fresh) token = fresh
    let data = null
    if (response.status !== 204 && response.status !== 304) {
      const text = await response.text()
      if (text) {
        try {
          data = JSON.parse(text)
        } catch {
          data = null
        }
      }
    }
    return { status: response.status, ok: response.ok, headers: response.headers, body: data }
  }

  /** A request that throws ApiError unless 2xx (or 304); an unsafe one gets a CSRF token first
   * and, if the token went stale (a new session), fetches a new one and tries once more. */
  async function request(method, path, body, headers) {
    if (UNSAFE.has(method) && !token) await csrf()
    let response = await send(method, path, body, headers)
    if (response.status === 400 && response.body?.error?.code === 'csrf_failed') {
      await csrf()
      response = await send(method, path, body, headers)
    }
    if (!response.ok && response.status !== 304) throw new ApiError(response.status, response.body)
    return response
  }

  /** Multipart upload (a photo): the browser sets the boundary, we add the CSRF token. */
  async function upload(path, form) {
    if (!token) await csrf()
    const attempt = async () => {
      let response
      try {
        response = await doFetch(base + path, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { Accept: 'application/json', 'X-CSRFToken': token },
          body: form,
        })
      } catch (cause) {
        throw new NetworkError(cause)
      }
      const text = await response.text()
      let body = null
      try {
        body = text ? JSON.parse(text) : null
      } catch {
        body = null
      }
      return { status: response.status, ok: response.ok, body }
    }
    let response = await attempt()
    if (response.status === 400 && response.body?.error?.code === 'csrf_failed') {
      await csrf()
      response = await attempt()
    }
    if (!response.ok) throw new ApiError(response.status, response.body)
    return response.body
  }

  return {
    csrf,
    request,
    upload,
    get: async (path, headers) => (await request('GET', path, undefined, headers)).body,
    post: async (path, body) => (await request('POST', path, body ?? {})).body,
    /** Logs in; the answer's X-CSRFToken header carries the new session's token. */
    login: async (phone, password, remember) =>
      (await request('POST', '/api/auth/login', { phone, password, remember })).body,
    logout: async () => {
      try {
        await request('POST', '/api/auth/logout', {})
      } finally {
        token = null
      }
    },
    get token() {
      return token
    },
  }
}
