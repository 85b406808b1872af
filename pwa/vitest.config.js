import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Component tests (tests/components, in happy-dom) mount .vue files.
  plugins: [vue()],
  test: {
    include: ['tests/**/*.test.js'],
    environment: 'node',
    // A loaded machine (CI, several suites at once) takes more than the default 5 s for the
    // tests that queue hundreds of commands in fake-indexeddb.
    testTimeout: 20000,
    // Before any module loads Dexie, which takes indexedDB from the global object.
    setupFiles: ['fake-indexeddb/auto'],
    // Vant's styles are imported as files (src/vant.js): Vite, not Node, must load them.
    server: { deps: { inline: ['vant'] } },
  },
})
