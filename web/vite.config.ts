import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Root is this folder (`vite build web`, or `vite` run inside web/); paths below are relative to it.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // One chunk of ~625 kB (~190 kB gzip; react-dom and Mantine are two thirds of it): fine for a dashboard
    // served from the same host, and two requests to first paint. Warn if it grows well past that.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
