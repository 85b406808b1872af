// Builds the PWA into dist/, which Flask serves at / (app/pwa.py).
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import precompileMessages from './scripts/precompile-messages.js'
import vantIconFont from './scripts/vant-icon-font.js'

export default defineConfig(({ command }) => ({
  // Code the app never runs stays out of the bundle: the Options API (every component here is
  // <script setup>, Vant's too), vue-i18n's legacy API and its global components, and its
  // message compiler (the build compiles the translations: scripts/precompile-messages.js;
  // `vite` in development and vitest keep it, and read the JSON as it is).
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_DROP_MESSAGE_COMPILER__: JSON.stringify(command === 'build'),
  },
  plugins: [
    vue(),
    precompileMessages(),
    vantIconFont(),
    VitePWA({
      // A new version waits for the user (a form may be half filled); see src/pwa.js.
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['favicon.svg', 'apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: '网格通',
        short_name: '网格通',
        description: '碧江区网格化治理：巡查、上报、任务，离线也能用',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#f7f8fa',
        theme_color: '#126ad8',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The whole shell (every chunk, every screen, translations are bundled) is precached:
        // the app opens with no network, after a reload.
        globPatterns: ['**/*.{js,css,html,svg,png,woff2,webmanifest}'],
        navigateFallback: 'index.html',
        // /api is the server's own: never answered with the app's page.
        navigateFallbackDenylist: [/^\/api(\/|$)/],
        cleanupOutdatedCaches: true,
        // The first install takes over the open page at once: a member who goes offline in
        // the very session they installed the app in still gets every screen from the cache.
        // (Later versions still wait for the user; see registerType.)
        clientsClaim: true,
        // API data lives in IndexedDB (the sync engine), not in the service worker's caches.
        // The one runtime cache: the basemap's tiles (images from another host), kept so the
        // map shows streets offline: the member's own area is fetched ahead
        // (src/lib/tilecache.js), the rest as it is seen; at most 600, the oldest dropped.
        // Tiles are asked for with CORS (the host must allow it, as 天地图 and AMap do): an
        // opaque answer would count as megabytes each against the phone's storage quota.
        runtimeCaching: [
          {
            urlPattern: ({ request, url }) => request.destination === 'image' && url.origin !== self.location.origin,
            handler: 'CacheFirst',
            options: {
              cacheName: 'gridlink-tiles',
              expiration: { maxEntries: 600, maxAgeSeconds: 30 * 24 * 3600 },
              cacheableResponse: { statuses: [200] },
            },
          },
        ],
        // Web Push (push and notificationclick) lives in public/push-sw.js, imported by the
        // generated worker: generateSW keeps its precache, no injectManifest build needed.
        importScripts: ['push-sw.js'],
      },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    reportCompressedSize: true,
    // The residents' page (随手拍) is its own light entry: none of the members' app loads there.
    rollupOptions: { input: { main: 'index.html', resident: 'resident.html' } },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
}))
