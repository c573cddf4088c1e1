import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The page only ever talks to /api on its own origin: nginx (compose) or the
// API itself (make demo) serve both. During `npm run dev` Vite forwards /api to
// a controller API on this machine.
export default defineConfig({
  plugins: [vue()],
  base: './',
  server: {
    proxy: {
      '/api': process.env.HEATING_API_URL || 'http://127.0.0.1:8000',
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // A Pi serves this page: keep it one small script and one stylesheet.
    chunkSizeWarningLimit: 200,
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/unit/**/*.test.js'],
  },
})
