/// <reference types="vitest/config" />
import path from "node:path";
import tailwindcss from "@tailwindcss/vite";
import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the console with hot reload and proxies every API path to a
// running gateway (GATEWAY_URL, default the `make up` one), so cookies and tokens
// behave exactly as in production (same origin).
const gateway = process.env.GATEWAY_URL ?? "http://127.0.0.1:8000";
const apiPaths =
  "^/(auth|users|admin|profiles|history|predict|train|clusters|elbow|models|datasets|health|openapi\\.json|docs|redoc)(/|$|\\?)";

export default defineConfig({
  base: "/ui/",
  plugins: [tanstackRouter({ target: "react", autoCodeSplitting: true }), react(), tailwindcss()],
  resolve: {
    alias: { "@": path.resolve(import.meta.dirname, "src") },
  },
  build: {
    target: "es2022",
    manifest: true,
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { [apiPaths]: { target: gateway, changeOrigin: false } },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
  },
});
