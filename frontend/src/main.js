import { createApp } from 'vue'
import App from './App.vue'
import './style.css'

createApp(App).mount('#app')

// Installable, and the last status readable offline (public/sw.js). Not while
// developing: Vite serves the sources, there is nothing worth keeping.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js').catch(() => {
      // Without it the page works as before, only not offline.
    })
  })
}
