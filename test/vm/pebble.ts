import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { must, startChild } from './processes.js';

/**
 * Pebble, Debian's ACME test server, on the lab bridge. Its own HTTPS listener gets a certificate for
 * the bridge address from a lab CA made here; the VMs trust that CA (the fake cloud hands it over as
 * vendor data). It validates HTTP-01 for real on port 80, resolving names through the lab's DNS.
 */
export async function startPebble(dir: string, address: string, dnsServer: string) {
  const ca = labCa(dir, address);
  const config = path.join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `${address}:14000`,
        managementListenAddress: `${address}:15000`,
        certificate: ca.cert,
        privateKey: ca.key,
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  // No PEBBLE_VA_ALWAYS_VALID: every certificate is issued only after a real HTTP-01 validation.
  const pebble = startChild('pebble', ['-config', config, '-dnsserver', `${dnsServer}:53`], {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: '0',
  });
  writeFileSync(path.join(dir, 'pebble.pid'), String(pebble.child.pid));
  const trustLabCa = new Agent({ connect: { ca: ca.pem } });
  const get = async (url: string): Promise<string> => {
    const res = await request(url, { dispatcher: trustLabCa, signal: AbortSignal.timeout(5_000) });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
    return text;
  };
  const directory = `https://${address}:14000/dir`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await get(directory);
      break;
    } catch (error) {
      if (pebble.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`pebble did not start: ${pebble.output() || String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    directory,
    /** The lab CA pebble's listener uses; the VMs must trust it to talk ACME. */
    listenerCa: ca.pem,
    /** The root pebble issues certificates under, new on every start. */
    issuerRoot: await get(`https://${address}:15000/roots/0`),
    output: pebble.output,
    async close(): Promise<void> {
      await pebble.stop();
      await trustLabCa.close();
    },
  };
}
export type Pebble = Awaited<ReturnType<typeof startPebble>>;

/** A CA and a leaf for the bridge address, made with openssl for this run only. */
function labCa(dir: string, address: string) {
  const file = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  must('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=fleetbot VM lab CA',
  ]);
  must('openssl', [
    'req',
    ...ec,
    '-keyout',
    file('pebble.key'),
    '-out',
    file('pebble.csr'),
    '-subj',
    `/CN=${address}`,
  ]);
  writeFileSync(file('pebble.ext'), `subjectAltName=IP:${address}\nextendedKeyUsage=serverAuth\n`);
  must('openssl', [
    'x509',
    '-req',
    '-in',
    file('pebble.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('pebble.ext'),
    '-out',
    file('pebble.pem'),
  ]);
  return { pem: readFileSync(file('ca.pem'), 'utf8'), cert: file('pebble.pem'), key: file('pebble.key') };
}
