import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is served from disk by both hosts (app:// in Electron, HTTP in the browser host),
// so asset URLs must be relative.
export default defineConfig({
  root: 'src/renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
  },
});
