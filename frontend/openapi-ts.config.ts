import { defineConfig } from "@hey-api/openapi-ts";

// The client is generated from the committed snapshot of the gateway's merged
// /openapi.json (`make client` refreshes both). Never edit src/client/ by hand.
export default defineConfig({
  input: "./openapi.json",
  output: { path: "./src/client" },
  plugins: [
    "@hey-api/client-fetch",
    "@hey-api/schemas",
    "@hey-api/typescript",
    "@hey-api/sdk",
    "@tanstack/react-query",
  ],
});
