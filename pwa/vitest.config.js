import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'
import precompileMessages from './scripts/precompile-messages.js'

export default defineConfig({
  // Component tests (tests/components, in happy-dom) mount .vue files; the rest of the
  // messages (src/i18n.js loadMessages) is the plugin's (uncompiled here, as in `vite`).
  plugins: [vue(), precompileMessages()],
  test: {
    include: ['tests/**/*.test.js'],
    environment: 'node',
    // A loaded machine (CI, several suites at once) takes more than the default 5 s for the
    // tests that queue hundreds of commands in fake-indexeddb.
    testTimeout: 20000,
    // IndexedDB on the global object, as in a browser (src/sync/idb.js).
    setupFiles: ['fake-indexeddb/auto'],
    // Vant's styles are imported as files (src/vant.js): Vite, not Node, must load them.
    server: { deps: { inline: ['vant'] } },
  },
})
