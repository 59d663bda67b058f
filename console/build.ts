/**
 * Builds the console into console/dist: one entry script, code-split so ECharts loads only with
 * the dashboard, file names hashed for caching, sizes written to dist/sizes.json (the benchmark
 * reports them). Run by setup whenever console/ or the lock file changes.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [path.join(here, 'src', 'main.tsx')],
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  outdir: path.join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const css = await readFile(path.join(here, 'src', 'styles.css'));
const cssName = `styles-${createHash('sha256').update(css).digest('hex').slice(0, 8)}.css`;
await writeFile(path.join(dist, 'assets', cssName), css);

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, o]) => o.entryPoint)?.[0];
if (!entry) throw new Error('esbuild produced no entry');
const html = (await readFile(path.join(here, 'index.html'), 'utf8'))
  .replace('%CSS%', `/assets/${cssName}`)
  .replace('%JS%', `/assets/${path.basename(entry)}`);
await writeFile(path.join(dist, 'index.html'), html);

// Compressed once here, so the API sends gzip without compressing on every request; the sizes
// reported are those of the files sent.
const files = await Promise.all(
  [...outputs.map(([file]) => file), path.join(dist, 'assets', cssName)].map(async (file) => {
    const absolute = path.isAbsolute(file) ? file : path.join(process.cwd(), file);
    const body = await readFile(absolute);
    const gzip = gzipSync(body, { level: 9 });
    await writeFile(`${absolute}.gz`, gzip);
    return { file: path.basename(file), bytes: body.length, gzip: gzip.length, entry: file === entry };
  }),
);
await writeFile(path.join(dist, 'sizes.json'), JSON.stringify(files, null, 2));
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
for (const f of files)
  console.log(
    `[console] ${f.file.padEnd(32)} ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzip).padStart(9)}${f.entry ? '  (entry)' : ''}`,
  );
