import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Root is this folder (`vite build web`, or `vite` run inside web/); paths below are relative to it.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Mantine alone is ~60 kB gzip of the ~170 kB; one chunk keeps the first paint to two requests.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
