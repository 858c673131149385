import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * The built `entitle` binary as a child process, for the tests that need a real server process
 * (SIGKILL, RSS, restarts): `npm test` builds before vitest; run `npm run build` first when
 * running such a file alone.
 */
export const CLI = resolve('dist/cli/main.js');

export type Child = ChildProcessByStdio<null, Readable, Readable>;

export interface BuiltServer {
  child: Child;
  url: string;
  /** The server's own startup time, from its "entitle is ready" log line. */
  startupMs: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The tail of what the process printed, for failure messages. */
  output(): string;
}

/** Keeps only the tail: a request log can be long. */
const keep = (text: string) => (text.length > 20_000 ? text.slice(-20_000) : text);

/**
 * Starts `entitle serve` with `env` (which must log at info or lower, so the ready line comes)
 * and resolves once it logs that it is ready, or rejects after `timeoutMs`. `track` hears the
 * child at once, so a caller can kill it even when the start fails.
 */
export async function startBuiltServer(
  env: NodeJS.ProcessEnv,
  options: { args?: string[]; timeoutMs?: number; track?: (child: Child) => void } = {},
): Promise<BuiltServer> {
  const child = spawn(process.execPath, [CLI, 'serve', ...(options.args ?? [])], {
    // Load and crash tests drive the server, not the API-wide limiter: off unless `env` says.
    env: { ENTITLE_RATE_LIMIT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.track?.(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      done({ code, signal });
    });
  });
  let stdout = '';
  let stderr = '';
  const ready = new Promise<{ url: string; startupMs: number }>((done, fail) => {
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = keep(stdout + chunk.toString());
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string; startupMs?: number };
        if (entry.msg === 'entitle is ready' && entry.url !== undefined) {
          done({ url: entry.url, startupMs: Math.round(entry.startupMs ?? -1) });
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr + chunk.toString())));
    void exited.then(({ code, signal }) => {
      fail(new Error(`entitle serve exited (${String(code ?? signal)}) before ready: ${stderr}`));
    });
  });
  const timeoutMs = options.timeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      fail(new Error(`timed out after ${String(timeoutMs)} ms: entitle serve to be ready`));
    }, timeoutMs);
  });
  try {
    const { url, startupMs } = await Promise.race([ready, timeout]);
    return {
      child,
      url,
      startupMs,
      exited,
      output: () => `stdout: …${stdout.slice(-2000)}\nstderr: ${stderr}`,
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** `entitle token create` on the server's data dir; answers the token. */
export function mintToken(env: NodeJS.ProcessEnv, ...args: string[]): string {
  const minted = spawnSync(process.execPath, [CLI, 'token', 'create', ...args], {
    env,
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (minted.status !== 0) throw new Error(`token create failed: ${minted.stderr}`);
  return minted.stdout.trim();
}
