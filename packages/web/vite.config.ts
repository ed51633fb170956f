import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The web app is one static bundle for every stage: the API URLs and the sign-in come from
 * `/config.json` at run time (written by the local cloud, or by the Web stack in AWS), so the
 * same build serves any stage. The base map's geometry is split into chunks loaded on demand.
 */
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    sourcemap: true,
    // The app's own code stays small; the world geometry is lazy and reported apart.
    chunkSizeWarningLimit: 800,
  },
});
