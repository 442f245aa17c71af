import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { engineSourceVersion } from './src/engine/engine_version_node.ts';

// Cross-origin isolation lets the WASM fallback use threads (SharedArrayBuffer).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  plugins: [react()],
  // the engine's source hash: the kernel self-check's cached outcome is kept per version (worker/kernel_check_idb.ts)
  define: {
    __ENGINE_VERSION__: JSON.stringify(engineSourceVersion(fileURLToPath(new URL('src/engine', import.meta.url)))),
  },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
  // No minification: the threaded WASM backend rebuilds its pthread workers from the factory function's
  // source text (Function.toString), and a minified factory refers to names outside itself, so every
  // thread dies with 'e is not defined' and the no-WebGPU fallback never starts.
  // Two pages: the lab (index.html) and the engine benchmark (bench.html).
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    minify: false,
    rolldownOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  optimizeDeps: { exclude: ['webgpu'] },
});
