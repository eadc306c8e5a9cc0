// After `vite build`: check the bundle budget and precompress every text asset.
//
// - Initial JS = the entry chunk of index.html and every chunk it imports statically
//   (what the browser must load before the first screen); lazy routes and charts
//   don't count. Budget: INITIAL_JS_BUDGET_KB (default 200) KB gzip; over it, fail.
// - Each .js/.css/.html/.svg/.json file gets .gz and .br twins (when smaller), which
//   the gateway serves to clients that accept them.
// - The sizes go to build-report.json (beside package.json) for the README and CI logs.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
const budgetKb = Number(process.env.INITIAL_JS_BUDGET_KB ?? 200);

const manifestPath = join(dist, ".vite", "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
if (!entry) throw new Error("no entry chunk in the Vite manifest");

const initial = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const imported of chunk.imports ?? []) visit(imported);
};
visit(Object.keys(manifest).find((key) => manifest[key] === entry));

const gzipSize = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kb = (bytes) => (bytes / 1024).toFixed(1);

const initialFiles = [...initial].map((file) => {
  const bytes = readFileSync(join(dist, file));
  return { file, bytes: bytes.length, gzip: gzipSize(bytes) };
});
const initialGzip = initialFiles.reduce((sum, f) => sum + f.gzip, 0);
const css = (entry.css ?? []).map((file) => ({
  file,
  gzip: gzipSize(readFileSync(join(dist, file))),
}));

// Everything under dist/, compressed twins included below.
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
};
rmSync(join(dist, ".vite"), { recursive: true, force: true }); // build metadata, not served
walk(dist);

let twins = 0;
for (const path of files) {
  if (!/\.(js|css|html|svg|json|txt)$/.test(path)) continue;
  const bytes = readFileSync(path);
  if (bytes.length < 256) continue;
  const gz = gzipSync(bytes, { level: 9 });
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  if (gz.length < bytes.length) {
    writeFileSync(`${path}.gz`, gz);
    twins += 1;
  }
  if (br.length < bytes.length) {
    writeFileSync(`${path}.br`, br);
    twins += 1;
  }
}

const lazy = Object.values(manifest)
  .filter((chunk) => chunk.file.endsWith(".js") && !initial.has(chunk.file))
  .map((chunk) => ({ file: chunk.file, gzip: gzipSize(readFileSync(join(dist, chunk.file))) }))
  .sort((a, b) => b.gzip - a.gzip);

const report = {
  budget_kb: budgetKb,
  initial_js_gzip_kb: Number(kb(initialGzip)),
  initial_js: initialFiles,
  initial_css: css,
  largest_lazy_chunks: lazy.slice(0, 8),
};
writeFileSync(join(root, "build-report.json"), `${JSON.stringify(report, null, 2)}\n`);

console.log(`\nInitial JS (gzip): ${kb(initialGzip)} KB of ${budgetKb} KB budget`);
for (const f of initialFiles) console.log(`  ${f.file.padEnd(40)} ${kb(f.gzip).padStart(7)} KB`);
for (const f of css) console.log(`  ${f.file.padEnd(40)} ${kb(f.gzip).padStart(7)} KB (css)`);
console.log("Largest lazy chunks (gzip):");
for (const f of lazy.slice(0, 5))
  console.log(`  ${f.file.padEnd(40)} ${kb(f.gzip).padStart(7)} KB`);
console.log(`Precompressed ${twins} twins (.gz/.br) under ${relative(root, dist)}/`);

if (initialGzip > budgetKb * 1024) {
  console.error(`\nBUDGET EXCEEDED: initial JS is ${kb(initialGzip)} KB gzip, over ${budgetKb} KB`);
  process.exit(1);
}
