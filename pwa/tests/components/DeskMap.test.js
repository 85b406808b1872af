// @vitest-environment happy-dom
// The desk's map as others draw on it: grids styled and named by the caller, and overlays
// above the grids, redrawn when their list changes (real Leaflet, in happy-dom's SVG).
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import DeskMap from '../../src/components/DeskMap.vue'
import { mountWith } from './mount.js'

globalThis.ResizeObserver ||= class {
  observe() {}
  disconnect() {}
}

const square = (code, name, x) => ({
  type: 'Feature',
  properties: { code, name },
  geometry: { type: 'Polygon', coordinates: [[[x, 27.7], [x + 0.01, 27.7], [x + 0.01, 27.71], [x, 27.71], [x, 27.7]]] },
})
const GRIDS = { type: 'FeatureCollection', features: [square('G1', '第一网格', 109.18), square('G2', '第二网格', 109.2)] }
const route = { type: 'LineString', coordinates: [[109.185, 27.705], [109.205, 27.705]] }
const post = { type: 'Feature', properties: { name: '岗亭' }, geometry: { type: 'Point', coordinates: [109.19, 27.706] } }

async function map(props) {
  let leaflet = null
  const wrapper = mountWith(DeskMap, { props: { grids: GRIDS, label: '社区地图', onReady: (m) => (leaflet = m), ...props } })
  await flushPromises()
  return { wrapper, leaflet }
}

/** Every vector layer on the map, with its pane's name. */
function drawn(leaflet) {
  const layers = []
  leaflet.eachLayer((layer) => layer.feature && layers.push(layer))
  return layers
}
const inPane = (leaflet, pane) => drawn(leaflet).filter((l) => l.options.pane === pane)

describe('DeskMap', () => {
  it('colours the grids by their work and names them with it, by default', async () => {
    const { leaflet } = await map({ load: { G1: { open: 2, overdue: 1 } } })
    const [g1, g2] = inPane(leaflet, 'gl-grids')
    expect(g1.options.color).toBe('#c8102e')
    expect(g2.options.color).toBe('#389e0d')
    expect(g1.getTooltip().getContent()).toBe('第一网格 · 在办 2，超时 1')
  })

  it("takes the caller's style and tooltip for each grid", async () => {
    const { leaflet, wrapper } = await map({
      gridStyle: (code) => ({ color: code === 'G1' ? '#7048e8' : '#888888', fillOpacity: 0.5 }),
      gridTooltip: (code) => (code === 'G1' ? '支部：河畔第一党支部' : null),
    })
    const [g1, g2] = inPane(leaflet, 'gl-grids')
    expect([g1.options.color, g1.options.fillOpacity, g1.options.weight]).toEqual(['#7048e8', 0.5, 2])
    expect(g1.getTooltip().getContent()).toBe('第一网格 · 支部：河畔第一党支部')
    expect(g2.getTooltip().getContent()).toBe('第二网格') // nothing to add: the name alone

    await wrapper.setProps({ gridStyle: () => ({ color: '#000000' }) })
    expect(inPane(leaflet, 'gl-grids').map((l) => l.options.color)).toEqual(['#000000', '#000000'])
  })

  it('draws overlays above the grids, with their style and popup, and redraws them when the list changes', async () => {
    const { leaflet, wrapper } = await map({
      overlays: [
        { geojson: route, style: { color: '#1971c2', weight: 4 }, popup: '巡查路线' },
        { geojson: { type: 'FeatureCollection', features: [post] }, style: () => ({ color: '#e8590c' }), popup: (f) => f.properties.name },
      ],
    })
    const over = inPane(leaflet, 'gl-overlays')
    expect(over.map((l) => l.options.color)).toEqual(['#1971c2', '#e8590c'])
    expect(over[0].getPopup().getContent()).toBe('巡查路线')
    expect(over[1].getPopup().getContent()).toBe('岗亭')
    expect(over[1].getLatLng()).toMatchObject({ lat: 27.706, lng: 109.19 }) // a point is a circle
    const z = (pane) => Number(leaflet.getPane(pane).style.zIndex)
    expect(z('gl-overlays')).toBeGreaterThan(z('gl-grids'))
    expect(z('gl-incidents')).toBeGreaterThan(z('gl-overlays'))

    await wrapper.setProps({ overlays: [{ geojson: post, style: { color: '#2f9e44' } }] })
    const now = inPane(leaflet, 'gl-overlays')
    expect(now.map((l) => l.options.color)).toEqual(['#2f9e44'])
    expect(now[0].getPopup()).toBeUndefined()
    expect(inPane(leaflet, 'gl-grids')).toHaveLength(2) // the grids stay as they were

    await wrapper.setProps({ overlays: [] })
    expect(inPane(leaflet, 'gl-overlays')).toHaveLength(0)
  })
})
