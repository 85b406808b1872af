import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.js'],
    environment: 'node',
    // Before any module loads Dexie, which takes indexedDB from the global object.
    setupFiles: ['fake-indexeddb/auto'],
  },
})
