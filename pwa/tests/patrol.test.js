import { describe, expect, it } from 'vitest'
import { decodePolyline, encodePolyline } from '../src/lib/polyline.js'
import { patrolOverlays } from '../src/views/patrols/deskLayers.js'
import { BATCH, checkpointDistanceM, createPatrols, keeps, lengthM, passes, trackArgs } from '../src/sync/patrol.js'
import { USERS, makePhone, makeServer } from './helpers.js'

describe('the encoded polyline', () => {
  it('is Google\'s, and the server\'s at 6 places', () => {
    const coords = [
      [38.5, -120.2],
      [40.7, -120.95],
      [43.252, -126.453],
    ]
    expect(encodePolyline(coords, 5)).toBe('_p~iF~ps|U_ulLnnqC_mqNvxq`@')
    const six = encodePolyline([[27.7312345, 109.1912345], [27.7313345, 109.1911345]])
    expect(decodePolyline(six)).toEqual([
      [27.731235, 109.191235],
      [27.731335, 109.191135],
    ])
  })
})

describe('which fixes a patrol keeps', () => {
  const at = (s) => s * 1000
  it.each([
    ['the first', null, { lat: 27.7, lng: 109.2, at: 0 }, true],
    ['10 s later in place', { lat: 27.7, lng: 109.2, at: 0 }, { lat: 27.7, lng: 109.2, at: at(10) }, true],
    ['5 s later in place', { lat: 27.7, lng: 109.2, at: 0 }, { lat: 27.7, lng: 109.2, at: at(5) }, false],
    ['5 s later 20 m on', { lat: 27.7, lng: 109.2, at: 0 }, { lat: 27.70018, lng: 109.2, at: at(5) }, true],
    ['1 s later 20 m on', { lat: 27.7, lng: 109.2, at: 0 }, { lat: 27.70018, lng: 109.2, at: at(1) }, false],
  ])('%s', (_, last, fix, kept) => {
    expect(keeps(last, fix)).toBe(kept)
  })

  it('counts length only along accurate points', () => {
    const points = [
      [27.7, 109.2, 0, 5],
      [27.7009, 109.2, 10, 300], // a bad fix 100 m off: kept, not counted
      [27.70018, 109.2, 20, 5],
    ]
    expect(lengthM(points)).toBeCloseTo(20, 0)
  })
})

describe('a patrol recorded offline', () => {
  it('queues its start, batches of points numbered by seq, and its end, none lost on a reload', async () => {
    const server = makeServer()
    let clock = new Date('2026-12-02T09:00:00+08:00').getTime()
    const phone = makePhone(server, { now: () => new Date(clock) })
    await phone.login(USERS[0])
    const patrols = createPatrols({ db: phone.db, engine: phone.engine, now: () => new Date(clock) })
    const patrol = await patrols.start(USERS[0].id, '520602001001001')
    for (let i = 0; i < BATCH + 5; i += 1) {
      clock += 10_000
      await patrols.addFix(USERS[0].id, { lat: 27.7 + i * 0.0001, lng: 109.2, accuracy: 8, at: clock })
    }
    // A reload: a recorder made anew finds the patrol where it was.
    const again = createPatrols({ db: phone.db, engine: phone.engine, now: () => new Date(clock) })
    expect((await again.current(USERS[0].id)).points).toHaveLength(BATCH + 5)
    await again.stop(USERS[0].id)
    const queued = (await phone.db.outbox.toArray()).sort((a, b) => a.seq - b.seq)
    expect(queued.map((c) => c.type)).toEqual(['patrol.start', 'patrol.track', 'patrol.track', 'patrol.end'])
    const [, first, second] = queued
    expect([first.args.from_seq, first.args.dt.length, second.args.from_seq, second.args.dt.length]).toEqual([1, BATCH, BATCH + 1, 5])
    expect(first.args.dt.slice(0, 3)).toEqual([10, 10, 10])
    expect(second.args.dt[0]).toBe((BATCH + 1) * 10) // the first counts from the start
    expect(decodePolyline(second.args.line)[0][0]).toBeCloseTo(27.7 + BATCH * 0.0001, 6)
    expect(queued.every((c) => c.args.id === patrol.id)).toBe(true)
    expect(await again.current(USERS[0].id)).toBeNull()
    expect(trackArgs({ ...patrol, points: [[1, 2, 3, 4.4]] }, 1).accuracy).toEqual([4])
  })
})

describe('the 2 s rule', () => {
  it('counts from the last fix itself, not its time rounded to the second', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(USERS[0])
    const start = new Date('2026-12-02T09:00:00+08:00').getTime()
    const patrols = createPatrols({ db: phone.db, engine: phone.engine, now: () => new Date(start) })
    await patrols.start(USERS[0].id, '520602001001001')
    const north = (i) => ({ lat: 27.7 + i * 0.0002, lng: 109.2, accuracy: 8 })
    // 2.6 s is kept as t = 3; 2.1 s after it (4.7 s) is 1.7 s after "3 s", but 2.1 s after the fix.
    for (const [i, ms] of [[0, 0], [1, 2600], [2, 4700]]) await patrols.addFix(USERS[0].id, { ...north(i), at: start + ms })
    expect((await patrols.current(USERS[0].id)).points.map((p) => p[2])).toEqual([0, 3, 5])
  })
})

describe('checkpoints passed, judged on the phone by the server\'s rule', () => {
  // 0.0001° of latitude is about 11.1 m.
  const market = { name: '菜市场', lat: 27.7, lng: 109.2, radius_m: 20 }
  const bank = { name: '河堤', polygon: [[109.201, 27.701], [109.202, 27.701], [109.202, 27.702], [109.201, 27.702], [109.201, 27.701]] }

  it.each([
    ['at a point', { lat: 27.7, lng: 109.2 }, market, 0],
    ['100 m north of a point', { lat: 27.7009, lng: 109.2 }, market, 100],
    ['inside a polygon', { lat: 27.7015, lng: 109.2015 }, bank, 0],
    ['22 m south of a polygon', { lat: 27.7008, lng: 109.2015 }, bank, 22],
  ])('the distance %s', (_, point, checkpoint, metres) => {
    expect(checkpointDistanceM(point, checkpoint)).toBeCloseTo(metres, -0.5)
  })

  it('passes a checkpoint at the first counted point within its radius, in order or not', () => {
    const points = [
      [27.7015, 109.2015, 10, 5], // in the bank first
      [27.70005, 109.2, 20, 300], // 6 m from the market, but a fix too poor to count
      [27.70015, 109.2, 30, 8], // 17 m from the market: passed here
      [27.7, 109.2, 40, 8],
    ]
    const judged = passes(points, [market, bank])
    expect(judged.checkpoints.map((c) => [c.name, c.passed_t])).toEqual([
      ['菜市场', 30],
      ['河堤', 10],
    ])
    expect(judged.in_order).toBe(false)
    expect(passes(points, [bank, market]).in_order).toBe(true)
    expect(passes(points.slice(0, 2), [bank, market]).checkpoints[1].passed_t).toBe(null)
    expect(passes(points.slice(0, 2), [bank, market]).in_order).toBe(false)
    expect(passes(points, []).in_order).toBe(null)
  })
})

describe('the day\'s patrols on the desk\'s map', () => {
  const t = (key, values) => `${key}${values ? JSON.stringify(values) : ''}`
  const d = () => '09:00'
  const track = (points, accuracy) => ({ line: encodePolyline(points), accuracy, max_accuracy_m: 50 })

  it('draws each track by its counted points, a tap telling who, when, how far, how much', () => {
    const patrols = [
      { id: 'a', member: { name: '王<b>芳</b>' }, grid: { name: '一网格' }, started_at: '2026-12-02T01:00:00+00:00', duration_s: 1800, length_m: 1250, coverage: 0.42, track: track([[27.7, 109.2], [27.7009, 109.2], [27.701, 109.2]], [5, 300, 5]) },
      { id: 'b', member: { name: '李强' }, grid: { name: '一网格' }, started_at: '2026-12-02T02:00:00+00:00', duration_s: 0, length_m: 0, coverage: null, track: null },
    ]
    const plans = [{ title: '日常巡查', ordered: true, grid: { name: '一网格' }, checkpoints: [{ name: '菜市场', lat: 27.7, lng: 109.2 }, { name: '河堤', polygon: [[109.2, 27.7], [109.201, 27.7], [109.2, 27.701], [109.2, 27.7]] }] }]
    const [tracks, checkpoints] = patrolOverlays(patrols, plans, t, d)
    expect(tracks.geojson.features.map((f) => f.geometry.coordinates)).toEqual([[[109.2, 27.7], [109.2, 27.701]]])
    const popup = tracks.popup(tracks.geojson.features[0])
    expect(popup).toContain('王&#60;b&#62;芳&#60;/b&#62;')
    expect(popup).not.toContain('<b>')
    expect(popup).toContain('patrols.km')
    expect(popup).toContain('42%')
    expect(checkpoints.geojson.features.map((f) => [f.geometry.type, f.properties.name])).toEqual([
      ['Point', '1. 菜市场'],
      ['Polygon', '2. 河堤'],
    ])
    expect(patrolOverlays([], [], t, d)).toEqual([])
  })
})
