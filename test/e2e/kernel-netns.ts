// Two network namespaces joined by a veth pair (198.18.50.1 → 198.18.50.2), a UDP/TCP receiver in one, probes from the other.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package root (this module runs from dist/test/e2e/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SENDER_IP = '198.18.50.1';
export const RECEIVER_IP = '198.18.50.2';
const UDP_PORT = 9931, TCP_PORT = 9932;

/** Why the namespace tests cannot run here, or undefined. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, XDP)';
  for (const tool of ['ip', 'nsenter']) if (spawnSync('which', [tool]).status !== 0) return `${tool} is not installed (apt-get install iproute2 util-linux)`;
  return undefined;
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
}

const RECEIVER_JS = `
const dgram = require('node:dgram'), net = require('node:net');
const u = dgram.createSocket('udp4'); u.on('message', (m) => process.stdout.write('u ' + m + '\\n')); u.bind(${UDP_PORT}, '${RECEIVER_IP}');
net.createServer((s) => s.on('data', (d) => { process.stdout.write('t ' + d + '\\n'); s.end(); })).listen(${TCP_PORT}, '${RECEIVER_IP}', () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), 170000);
`;

const SENDER_JS = `
const dgram = require('node:dgram'), net = require('node:net');
const tag = process.argv[1];
const u = dgram.createSocket('udp4');
let n = 0; const send = () => { if (n++ >= 20) { u.close(); return; } u.send(tag, ${UDP_PORT}, '${RECEIVER_IP}', send); }; send();
const c = net.connect({ host: '${RECEIVER_IP}', port: ${TCP_PORT}, timeout: 700 }, () => c.end(tag));
c.on('timeout', () => c.destroy()); c.on('error', () => {});
`;

/** What arrived from one probe. */
export interface Arrivals { udp: number; tcp: boolean }

/** The topology; cleanup() deletes both namespaces (and with them the veths) and stops the receiver. */
export class Netns {
  readonly snd: string;
  readonly rcv: string;
  readonly rcvIface: string;
  private receiver: ChildProcess | undefined;
  private lines: string[] = [];
  private seq = 0;

  constructor() {
    const suf = `${process.pid % 100000}`;
    this.snd = `jke2s${suf}`; this.rcv = `jke2r${suf}`; this.rcvIface = `jkr${suf}`;
  }

  /** Creates namespaces, veths and the receiver. */
  async setup(): Promise<void> {
    const sndIface = `jks${process.pid % 100000}`;
    sh('ip', ['netns', 'add', this.snd]);
    sh('ip', ['netns', 'add', this.rcv]);
    sh('ip', ['link', 'add', sndIface, 'netns', this.snd, 'type', 'veth', 'peer', 'name', this.rcvIface, 'netns', this.rcv]);
    sh('ip', ['-n', this.snd, 'addr', 'add', `${SENDER_IP}/24`, 'dev', sndIface]);
    sh('ip', ['-n', this.rcv, 'addr', 'add', `${RECEIVER_IP}/24`, 'dev', this.rcvIface]);
    for (const [ns, dev] of [[this.snd, sndIface], [this.rcv, this.rcvIface], [this.snd, 'lo'], [this.rcv, 'lo']] as const) sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    this.receiver = spawn('nsenter', [`--net=/run/netns/${this.rcv}`, process.execPath, '-e', RECEIVER_JS], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    this.receiver.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n'); buf = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    const until = Date.now() + 10_000;
    while (!this.lines.includes('ready')) {
      if (Date.now() > until) throw new Error('receiver did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs a command inside the receiver's namespace (nsenter keeps /sys/fs/bpf visible). */
  inReceiver(args: string[]): { status: number | null; stdout: string; stderr: string } {
    return spawnSync('nsenter', [`--net=/run/netns/${this.rcv}`, ...args], { encoding: 'utf8', timeout: 30_000 });
  }

  /** Runs `jirachi kernel ...` inside the receiver's namespace. */
  cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    return this.inReceiver([process.execPath, `${ROOT}bin/jirachi.js`, 'kernel', ...args]);
  }

  /** Sends 20 UDP datagrams and one TCP connection from the sender; counts what arrived. */
  async probe(): Promise<Arrivals> {
    const tag = `p${this.seq++}-${Date.now()}`;
    spawnSync('nsenter', [`--net=/run/netns/${this.snd}`, process.execPath, '-e', SENDER_JS, tag], { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    return { udp: this.lines.filter((l) => l === `u ${tag}`).length, tcp: this.lines.includes(`t ${tag}`) };
  }

  /** Deletes everything this instance made. Never throws. */
  cleanup(): void {
    this.receiver?.kill();
    spawnSync('ip', ['netns', 'del', this.snd]);
    spawnSync('ip', ['netns', 'del', this.rcv]);
  }
}
