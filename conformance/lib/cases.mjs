// The case runner of the presentation interop suites (oid4vp/, siop/): their command-line
// options, one PASS/FAIL line per case with its time and reason, and the summary and exit
// status. Node built-ins only, so each suite's own node_modules serves it.

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

import { CheckError, show } from './vouch.mjs';

// --base --env --client-id --client-secret [--label] [--only], or the VOUCH_INTEROP_*
// variables; exits 2 with a usage line when one is missing.
export function interopOptions() {
  const { values: opts } = parseArgs({
    options: {
      base: { type: 'string', default: process.env.VOUCH_INTEROP_BASE },
      env: { type: 'string', default: process.env.VOUCH_INTEROP_ENV },
      'client-id': { type: 'string', default: process.env.VOUCH_INTEROP_CLIENT_ID },
      'client-secret': { type: 'string', default: process.env.VOUCH_INTEROP_CLIENT_SECRET },
      label: { type: 'string', default: process.env.VOUCH_INTEROP_LABEL ?? '' },
      only: { type: 'string', default: process.env.VOUCH_INTEROP_ONLY ?? '' },
    },
  });
  for (const name of ['base', 'env', 'client-id', 'client-secret']) {
    if (!opts[name]) {
      console.error(`usage: node run.mjs --base <public url> --env <environment id> --client-id <id> --client-secret <secret> [--only <substring>]  (missing --${name})`);
      process.exit(2);
    }
  }
  return opts;
}

// A library error as it came: name, message, the OAuth error it carries, and its causes.
export function describe(e) {
  if (e instanceof CheckError) return e.message;
  const parts = [];
  for (let err = e, depth = 0; err && depth < 5; err = err.cause, depth++) {
    // oauth2's errors repeat their cause's message in their own: show it once.
    if (depth > 0 && parts.at(-1).includes(err.message)) continue;
    let text = `${err.name ?? 'Error'}: ${err.message ?? err}`;
    if (err.errorResponse && !text.includes(err.errorResponse.error_description ?? '\u0000')) {
      text += ` ${show(err.errorResponse)}`;
    }
    parts.push(text);
  }
  return parts.join(' ← caused by ');
}

export class Cases {
  constructor({ label = '', only = '' } = {}) {
    this.label = label ? `[${label}] ` : '';
    this.only = only;
    this.results = [];
    this.started = performance.now();
  }

  // Runs one case (skipped when --only names another; setup cases always run); its
  // detail is what `fn` returns, or why it threw. Returns whether it passed.
  async run(name, fn) {
    if (this.only && !name.includes(this.only) && !name.startsWith('setup')) return undefined;
    const t0 = performance.now();
    let ok = true;
    let detail;
    try {
      detail = await fn();
    } catch (e) {
      ok = false;
      detail = describe(e);
      if (!(e instanceof CheckError) && process.env.VOUCH_INTEROP_DEBUG) console.error(e);
    }
    const ms = Math.round(performance.now() - t0);
    this.results.push({ name, ok, ms });
    console.log(`${this.label}${ok ? 'PASS' : 'FAIL'} ${name} (${ms} ms)${detail ? ` — ${detail}` : ''}`);
    return ok;
  }

  // Prints the summary and exits 1 if any case failed.
  finish(suite) {
    const failed = this.results.filter((r) => !r.ok).length;
    const total = Math.round(performance.now() - this.started);
    console.log(`${this.label}${suite} interop: ${this.results.length - failed} passed, ${failed} failed in ${total} ms`);
    process.exit(failed ? 1 : 0);
  }
}
