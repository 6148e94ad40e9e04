import ssh2 from 'ssh2';

const { utils } = ssh2;

export type HostKeyPair = { privateKey: string; publicKey: string };

/**
 * A fresh ed25519 host key pair for one server. The private half goes to the server through cloud-init;
 * the public half is stored and is the only key fleetbot accepts from that server.
 */
export function generateHostKey(comment: string): HostKeyPair {
  // ssh2 drops a leading zero byte of the public key about once in 700 pairs, which leaves a key that
  // neither ssh2 nor OpenSSH can read; such a pair is thrown away and another one made.
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    if (!(utils.parseKey(pair.private) instanceof Error))
      return { privateKey: pair.private, publicKey: pair.public };
  }
}

/** The key blob of an OpenSSH public key line ("ssh-ed25519 AAAA… comment"), as the server sends it. */
export function publicKeyBlob(publicKey: string): Buffer {
  const parsed = utils.parseKey(publicKey);
  if (parsed instanceof Error) throw new Error(`not an SSH public key: ${parsed.message}`);
  return parsed.getPublicSSH();
}

/** The public key line of a private key (to authorise fleetbot's login key on a new server). */
export function publicKeyOf(privateKey: string | Buffer, passphrase?: string): string {
  const parsed = utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) throw new Error(`cannot read the SSH key: ${parsed.message}`);
  return `${parsed.type} ${parsed.getPublicSSH().toString('base64')} fleetbot`;
}
