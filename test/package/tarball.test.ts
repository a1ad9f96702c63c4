// The README's code works as a package: (a) in the checkout, `import ... from 'faustus'` resolves (npm install runs
// the `prepare` build); (b) the packed tarball, installed into a new project outside the repository, type-checks the
// README's tour against the installed types, compiles, and runs through the installed `faustus` bin.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')
// npm runs on whatever Node is first on PATH; the project's code runs on the pinned one (as `npx` would).
const NODE = join(ROOT, 'node_modules', '.bin', 'node')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const LONG = { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }

/** The first ```ts block after "## A tour" in the README: the code a new user copies. */
async function tourCode(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  const block = /## A tour\n+```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  if (block === undefined) throw new Error('README.md has no ```ts block under "## A tour"')
  return block
}

let work: string
let tarball: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'faustus-package-'))
  // `npm pack` runs `prepare` (the build), as `npm publish` and a git install do.
  await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, ...LONG })
  const packed = (await readdir(work)).filter((name) => name.endsWith('.tgz'))
  expect(packed).toHaveLength(1)
  tarball = join(work, packed[0])
}, 600_000)

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('the faustus package', () => {
  it("(a) in the checkout, import from 'faustus' resolves to the built package", async () => {
    const { stdout } = await run(
      NODE,
      ['--input-type=module', '-e', "import { App, record } from 'faustus'; console.log(typeof App, typeof record)"],
      { cwd: ROOT },
    )
    expect(stdout.trim()).toBe('function function')
  })

  it("(a) in the checkout, import from 'faustus/testing' resolves to the built test driver", async () => {
    const { stdout } = await run(
      NODE,
      [
        '--input-type=module',
        '-e',
        "import { TestDriver, VirtualClock } from 'faustus/testing'; console.log(typeof TestDriver, typeof VirtualClock)",
      ],
      { cwd: ROOT },
    )
    expect(stdout.trim()).toBe('function function')
  })

  it("(b) from the tarball in a new project: the README's tour type-checks, compiles and runs", async () => {
    const project = join(work, 'project')
    await rm(project, { recursive: true, force: true })
    await run('mkdir', ['-p', project])
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'tour', private: true, type: 'module' }))
    const rootPackage = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    const typesNode = `@types/node@${rootPackage.devDependencies['@types/node']}`
    // Dependencies come from the npm cache when they are there, else from the registry.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, typesNode], {
      cwd: project,
      ...LONG,
    })
    await writeFile(join(project, 'tour.ts'), await tourCode())
    // Faust's app.main(): the script is its own CLI, run by Node itself (type stripping, no loader).
    await writeFile(
      join(project, 'main.ts'),
      [
        "import { App, type Stream } from 'faustus'",
        "export const app = new App('main-script')",
        'const double = app.agent(async function* double(stream: Stream<number>) {',
        '  for await (const n of stream) yield n * 2',
        '})',
        "app.command('double', { args: { n: { type: 'int' } } }, async ({ n }) => console.log(await double.ask(n)))",
        'if (import.meta.main) await app.main()',
        '',
      ].join('\n'),
    )
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          outDir: 'out',
          types: ['node'],
        },
        files: ['tour.ts', 'main.ts'],
      }),
    )
    // Type-checked against node_modules/faustus/dist/*.d.ts, then emitted as plain JavaScript.
    await run(NODE, [TSC, '-p', '.'], { cwd: project, ...LONG })
    const bin = join(project, 'node_modules', '.bin', 'faustus')
    const compiled = await run(NODE, [bin, '-A', 'out/tour.js', 'send_value', '4', '8', '--print'], {
      cwd: project,
      ...LONG,
    })
    expect(compiled.stdout).toBe('Sending Add(4, 8)...\n12\n')
    // And the TypeScript itself, as the README runs it (the installed bin loads .ts through tsx).
    const source = await run(NODE, [bin, '-A', 'tour.ts', 'send_value', '4', '8'], { cwd: project, ...LONG })
    expect(source.stdout).toBe('12\n')
    const script = await run(NODE, ['main.ts', 'double', '21'], { cwd: project, ...LONG })
    expect(script.stdout).toBe('42\n')
    // The package ships no sources and no tests: only what `files` lists.
    const installed = await readdir(join(project, 'node_modules', 'faustus'))
    expect(installed.sort()).toEqual(['README.md', 'bin', 'dist', 'package.json', 'schemas'])
  })
})
