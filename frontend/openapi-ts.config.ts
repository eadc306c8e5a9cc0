import { defineConfig } from "@hey-api/openapi-ts";

// The client is generated from the committed snapshot of the gateway's merged
// /openapi.json (`make client` refreshes both). Never edit src/client/ by hand.
export default defineConfig({
  input: "./openapi.json",
  // CLIENT_OUT lets the staleness check generate into a scratch directory.
  output: { path: process.env.CLIENT_OUT ?? "./src/client" },
  plugins: [
    "@hey-api/client-fetch",
    "@hey-api/schemas",
    "@hey-api/typescript",
    "@hey-api/sdk",
    "@tanstack/react-query",
  ],
});
