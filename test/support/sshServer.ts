import { closeSync, fchmodSync, mkdirSync, openSync, writeSync, chmodSync } from 'node:fs';
import { createConnection, type AddressInfo } from 'node:net';
import path from 'node:path';
import ssh2 from 'ssh2';
import { publicKeyBlob } from '../../src/providers/ssh/hostKey.js';

const { Server, utils } = ssh2;
const { OPEN_MODE, STATUS_CODE } = utils.sftp;

export type ExecReply = { code: number; stdout?: string; stderr?: string };

/**
 * A real SSH server (ssh2's own) on loopback that stands in for a machine: it presents the host key it
 * is given, lets in only the authorised key, writes SFTP uploads under `root` with their modes, and
 * answers commands through `onExec`.
 */
export async function startSshServer(opts: {
  hostKey: string;
  authorizedKey: string;
  username: string;
  root: string;
  /** Listen here instead of on any free port. */
  port?: number;
  onExec: (command: string, stdin: string) => Promise<ExecReply> | ExecReply;
  /**
   * A command whose stdin and stdout stay open while it runs (a conversation's process): true when it
   * was taken, and the channel is then the handler's to pipe, exit and end.
   */
  onStream?: (command: string, channel: ssh2.ServerChannel) => boolean;
  /** Where a forwarded connection to a port on the machine's loopback lands here, if anywhere. */
  onForward?: (port: number) => number | undefined;
}) {
  const allowed = publicKeyBlob(opts.authorizedKey);
  const local = (remote: string): string => path.join(opts.root, path.resolve('/', remote));
  const commands: string[] = [];
  const clients = new Set<ssh2.Connection>();
  let connections = 0;
  const server = new Server({ hostKeys: [opts.hostKey] }, (client) => {
    connections++;
    clients.add(client);
    // sshd writes a reply's packets (data, exit status, EOF, close) in one go; ssh2 writes each on its
    // own, and with Nagle on every reply would then wait out the client's delayed ACK.
    // (ssh2's server connection has setNoDelay, as its client does; its typings leave it out.)
    (client as unknown as { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.username === opts.username && ctx.key.data.equals(allowed)) {
        if (!ctx.signature) return ctx.accept();
        const key = utils.parseKey(opts.authorizedKey);
        if (!(key instanceof Error) && key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo))
          return ctx.accept();
      }
      ctx.reject(['publickey']);
    });
    client.on('error', () => undefined);
    // A direct-tcpip channel to 127.0.0.1:<port> on the machine, as sshd's forwarding would open it.
    client.on('tcpip', (accept, reject, info) => {
      const local = info.destIP === '127.0.0.1' ? opts.onForward?.(info.destPort) : undefined;
      if (local === undefined) return reject();
      const socket = createConnection({ host: '127.0.0.1', port: local });
      socket.once('error', () => reject());
      socket.once('connect', () => {
        const channel = accept();
        channel.pipe(socket).pipe(channel);
      });
    });
    client.on('session', (acceptSession) => {
      const session = acceptSession();
      session.on('exec', (accept, _reject, info) => {
        const stream = accept();
        commands.push(info.command);
        if (opts.onStream?.(info.command, stream)) return;
        let stdin = '';
        stream.on('data', (chunk: Buffer) => (stdin += chunk.toString('utf8')));
        stream.on('end', () => {
          void Promise.resolve(opts.onExec(info.command, stdin)).then(
            (reply) => {
              if (reply.stdout) stream.write(reply.stdout);
              if (reply.stderr) stream.stderr.write(reply.stderr);
              stream.exit(reply.code);
              stream.end();
            },
            (err: unknown) => {
              stream.stderr.write(String(err));
              stream.exit(1);
              stream.end();
            },
          );
        });
      });
      session.on('sftp', (accept) => {
        const sftp = accept();
        const handles = new Map<number, number>();
        let next = 1;
        sftp.on('OPEN', (reqid, filename, flags, attrs) => {
          if (!(flags & OPEN_MODE.WRITE)) return sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED);
          const file = local(filename);
          mkdirSync(path.dirname(file), { recursive: true });
          const fd = openSync(file, 'w', attrs.mode ?? 0o644);
          if (attrs.mode !== undefined) fchmodSync(fd, attrs.mode & 0o7777);
          const id = next++;
          handles.set(id, fd);
          const handle = Buffer.alloc(4);
          handle.writeUInt32BE(id);
          sftp.handle(reqid, handle);
        });
        sftp.on('WRITE', (reqid, handle, offset, data) => {
          const fd = handles.get(handle.readUInt32BE());
          if (fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
          writeSync(fd, data, 0, data.length, offset);
          sftp.status(reqid, STATUS_CODE.OK);
        });
        sftp.on('CLOSE', (reqid, handle) => {
          const fd = handles.get(handle.readUInt32BE());
          if (fd !== undefined) closeSync(fd);
          handles.delete(handle.readUInt32BE());
          sftp.status(reqid, STATUS_CODE.OK);
        });
        sftp.on('SETSTAT', (reqid, filename, attrs) => {
          if (attrs.mode !== undefined) chmodSync(local(filename), attrs.mode & 0o7777);
          sftp.status(reqid, STATUS_CODE.OK);
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  /** Drops every connection, as a machine that reboots or is deleted does. */
  const drop = (): void => clients.forEach((c) => c.end());
  return {
    port,
    commands,
    /** Connections made so far, and those still open. */
    connections: () => ({ made: connections, open: clients.size }),
    drop,
    /** Where a remote path lands on this machine. */
    local,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        drop();
      }),
  };
}
export type SshTestServer = Awaited<ReturnType<typeof startSshServer>>;
