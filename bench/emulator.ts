// npm run bench:emulator — 1,000 concurrent environment-list requests against the emulator on loopback, from
// this process over keep-alive connections (goal: all answered, in under 1 s on this machine), next to the same
// number of GET /status requests, the cheapest route, as the reference of what the HTTP stack alone costs.
import * as http from 'node:http';
import * as os from 'node:os';
import { start } from '../src/emulator';

const TOKEN = 'bench-token';
const COUNT = 1000;
const ROUNDS = 5;

async function burst(agent: http.Agent, url: URL, authorised: boolean): Promise<{ ms: number; errors: number }> {
  const get = () =>
    new Promise<number>((resolve) => {
      const request = http.get(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          agent,
          headers: authorised ? { Authorization: `Token ${TOKEN}` } : {},
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', () => resolve(0));
    });
  const started = process.hrtime.bigint();
  const statuses = await Promise.all(Array.from({ length: COUNT }, get));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, errors: statuses.filter((status) => status !== 200).length };
}

async function main(): Promise<void> {
  const emulator = await start({ port: 0, tokens: [TOKEN], buildSeconds: 5 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: COUNT });
  try {
    const list = new URL(`${emulator.url}/projects/demo-project/environments`);
    const status = new URL(`${emulator.url}/status`);
    await burst(agent, list, true); // open the connections and warm the code paths
    const lists: number[] = [];
    const references: number[] = [];
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const reference = await burst(agent, status, false);
      const measured = await burst(agent, list, true);
      references.push(reference.ms);
      lists.push(measured.ms);
      errors += measured.errors + reference.errors;
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const listMs = median(lists);
    const referenceMs = median(references);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
    console.log(
      `emulator: ${COUNT} concurrent list requests in ${listMs.toFixed(0)} ms (median of ${ROUNDS}); ` +
        `${COUNT} GET /status in ${referenceMs.toFixed(0)} ms; ratio ${(listMs / referenceMs).toFixed(2)}; errors ${errors}; ` +
        `goal < 1000 ms and no error: ${listMs < 1000 && errors === 0 ? 'PASS' : 'MISS'}`,
    );
  } finally {
    agent.destroy();
    await emulator.close();
  }
}

void main();
