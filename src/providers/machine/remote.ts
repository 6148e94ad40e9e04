import { shellWord } from './escape.js';
import {
  caddySitePath,
  nftPath,
  portGuardPath,
  portGuardTable,
  type AgentLayout,
  type DaemonLayout,
} from './layout.js';
import { journalFields } from './journal.js';

// The commands fleetbot runs on a machine, one function each, so what runs there is listed in one
// place. Values are quoted for the shell; secrets are never part of a command.

/** Privileged commands go through sudo unless fleetbot logs in as root. */
export const asRoot = (user: string): string => (user === 'root' ? '' : 'sudo -n ');

/**
 * Writes stdin to a root-owned path as root. Only for paths in folders no agent can write (/etc/...):
 * the file is created afresh with its mode, then filled, so nothing an agent made is followed.
 */
const writeRootFile = (file: string, mode: string, login: string): string =>
  `${asRoot(login)}install -D -m ${mode} /dev/null ${shellWord(file)} && ${asRoot(login)}tee ${shellWord(file)} >/dev/null`;

/** The PATH systemd gives a service; a conversation's process gets the same where systemd is absent. */
const servicePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What names a conversation's processes on the machine: the transient unit, and $0 of its root shell. */
export const conversationTag = (id: string): string => `fleetbot-conversation-${id}`;

/** Kills whatever the agent's user runs anywhere (until nothing is left, or 10 s), a process that left its session included. */
const killAgentProcesses = (l: AgentLayout, login: string): string =>
  `${asRoot(login)}timeout 10 sh -c ${shellWord('while pgrep -u "$1" >/dev/null;do pkill -KILL -u "$1";sleep 0.2;done')} sh ${shellWord(l.user)} || true`;

/** Runs a command as the agent's own user, without a PAM session and unable to gain privileges. */
const asAgentUser = (l: AgentLayout): string =>
  `setpriv --reuid=${shellWord(l.user)} --regid=${shellWord(l.user)} --init-groups --no-new-privs`;

/** Other agents on the host keep their sites; a Caddy that is not running stays stopped. */
const removeCaddySite = (agentName: string, login: string): string =>
  [
    `${asRoot(login)}rm -f ${shellWord(caddySitePath(agentName))}`,
    `${asRoot(login)}systemctl try-reload-or-restart caddy || true`,
  ].join('; ');

export const remote = {
  /** The agent's own user (made once), its folder (0700, its own) and its root-owned config folder. */
  prepareAgent: (l: AgentLayout, login: string) =>
    [
      `id -u ${shellWord(l.user)} >/dev/null 2>&1 || ${asRoot(login)}useradd --system --user-group --no-create-home --home-dir ${shellWord(l.appDir)} --shell /usr/sbin/nologin ${shellWord(l.user)}`,
      `${asRoot(login)}install -d -m 0700 -o ${shellWord(l.user)} -g ${shellWord(l.user)} ${shellWord(l.appDir)}`,
      `${asRoot(login)}install -d -m 0700 ${shellWord(l.configDir)}`,
    ].join(' && '),
  /**
   * Writes stdin into the agent's folder as the agent's user: root never writes where the agent can
   * plant a symlink, so a link there reaches only what the agent could reach itself.
   */
  writeAgentFile: (l: AgentLayout, login: string, name: string) =>
    `${asRoot(login)}runuser -u ${shellWord(l.user)} -- tee ${shellWord(`${l.appDir}/${name}`)} >/dev/null`,
  writeConfigFile: (l: AgentLayout, login: string, name: string) =>
    writeRootFile(`${l.configDir}/${name}`, '0600', login),
  writeUnit: (l: AgentLayout, login: string) => writeRootFile(`/etc/systemd/system/${l.unit}`, '0644', login),
  /** Writes the port guard rendered by fleetbot (stdin) and loads it, before the agent listens. */
  guardPort: (l: DaemonLayout, login: string) =>
    `${writeRootFile(portGuardPath(l), '0600', login)} && ${asRoot(login)}${nftPath} -f ${shellWord(portGuardPath(l))}`,
  /**
   * Exits 0 when nftables is installed where the unit's ExecStartPre runs it. A path, not a PATH
   * lookup: a login that is not root often has no /usr/sbin on its PATH.
   */
  hasNft: () => `test -x ${nftPath}`,
  startUnit: (l: AgentLayout, login: string) =>
    [
      `${asRoot(login)}systemctl daemon-reload`,
      `${asRoot(login)}systemctl enable --now ${shellWord(l.unit)}`,
    ].join(' && '),
  restartUnit: (l: AgentLayout, login: string) => `${asRoot(login)}systemctl restart ${shellWord(l.unit)}`,
  stopUnit: (l: AgentLayout, login: string) =>
    `${asRoot(login)}systemctl disable --now ${shellWord(l.unit)} || true`,
  /**
   * Stops the unit (its whole cgroup), then kills whatever the agent's user still runs anywhere, so
   * nothing it started outlives it or races the removal of its folder; then its files and its user.
   * Every part a deploy may not have made (the unit, port guard and Caddy site of an agent without a
   * daemon; systemd itself on a host without it) is skipped when absent, so one removal fits all.
   */
  removeAgent: (l: AgentLayout, login: string) =>
    [
      `${asRoot(login)}systemctl disable --now ${shellWord(l.unit)} || true`,
      killAgentProcesses(l, login),
      `${asRoot(login)}rm -f ${shellWord(`/etc/systemd/system/${l.unit}`)}`,
      `${asRoot(login)}rm -rf ${shellWord(l.appDir)}`,
      `${asRoot(login)}rm -rf ${shellWord(l.configDir)}`,
      `${asRoot(login)}${nftPath} delete table inet ${shellWord(portGuardTable(l.name))} 2>/dev/null || true`,
      `${asRoot(login)}userdel ${shellWord(l.user)} || true`,
      removeCaddySite(l.name, login),
      `test ! -d /run/systemd/system || ${asRoot(login)}systemctl daemon-reload`,
    ].join('; '),
  /** Ends every conversation process of an agent without a daemon: all its user runs. */
  stopConversations: (l: AgentLayout, login: string) => killAgentProcesses(l, login),
  /** Exits 0 when the agent's user exists. */
  hasUser: (l: AgentLayout) => `id -u ${shellWord(l.user)} >/dev/null 2>&1`,
  /** Exits 0 when the agent's folder exists (its parent is readable by anyone; the folder is the agent's). */
  hasFolder: (l: AgentLayout) => `test -d ${shellWord(l.appDir)}`,
  /**
   * Starts argv for a conversation as the agent's user in its folder, with HOME its own sub-folder,
   * stdin and stdout the SSH channel's. As root, in a clean environment; nothing secret is on any
   * command line, since the env files are read by systemd or by this root shell. With systemd, a
   * transient unit with the agent unit's own walls (`walls`), killed as one cgroup; without (a
   * container, the lab's sshd), a pid namespace whose init is a root shell that only waits: killing it
   * (or the unshare above it, whose death kills it) ends every process inside, a setsid one too.
   */
  conversation: (l: AgentLayout, login: string, c: { id: string; walls: string[]; argv: string[] }) => {
    const home = `${l.appDir}/home`;
    const tag = conversationTag(c.id);
    const script = [
      `cd ${shellWord(l.appDir)} && ${asAgentUser(l)} mkdir -p -m 0700 ${shellWord(home)} || exit 1`,
      `if [ -d /run/systemd/system ]; then exec systemd-run --quiet --pipe --wait --collect --service-type=exec --unit=${shellWord(tag)} ${c.walls.map((w) => `-p ${shellWord(w)}`).join(' ')} --setenv=${shellWord(`HOME=${home}`)} -- "$@"; fi`,
      `set -a && . ${shellWord(`${l.configDir}/agent.env`)} && . ${shellWord(`${l.configDir}/secrets.env`)} && set +a || exit 1`,
      `HOME=${shellWord(home)} && export HOME`,
      `exec unshare --pid --fork --kill-child --mount-proc sh -c ${shellWord(`${asAgentUser(l)} -- "$@"; exit $?`)} "$0" "$@"`,
    ].join('\n');
    return `exec ${asRoot(login)}env -i PATH=${servicePath} sh -c ${shellWord(script)} ${shellWord(tag)} ${c.argv.map(shellWord).join(' ')}`;
  },
  /** Ends a conversation's process and all it started: its unit's cgroup, or its pid namespace. */
  stopConversation: (login: string, id: string) => {
    // "[f]leetbot-…" matches the tag but not this command line's own words.
    const pattern = `[f]${conversationTag(id).slice(1)}`;
    return [
      `${asRoot(login)}systemctl kill --signal=SIGKILL ${shellWord(`${conversationTag(id)}.service`)} >/dev/null 2>&1`,
      `${asRoot(login)}pkill -KILL -f ${shellWord(pattern)}`,
      'true',
    ].join('; ');
  },
  unitState: (l: AgentLayout) => `systemctl is-active ${shellWord(l.unit)}`,
  localHealth: (l: DaemonLayout) =>
    `curl -sS --max-time 3 ${shellWord(`http://127.0.0.1:${l.daemon.port}${l.daemon.healthPath}`)}`,
  /**
   * Prints the agent user's uid, then the uid of each socket listening on the agent's port (from the
   * kernel's tables; none when nothing listens): whose answer the health check got.
   */
  portOwner: (l: DaemonLayout) =>
    `id -u ${shellWord(l.user)}; awk -v port=${l.daemon.port.toString(16).toUpperCase().padStart(4, '0')} '$4 == "0A" { if (substr($2, index($2, ":") + 1) == port) print $8 }' /proc/net/tcp /proc/net/tcp6`,
  /** Caddy's files are rendered by fleetbot and written here as root, never copied from the agent's folder. */
  removeCaddySite: (agentName: string, login: string) => removeCaddySite(agentName, login),
  writeCaddyfile: (login: string) => writeRootFile('/etc/caddy/Caddyfile', '0644', login),
  writeCaddySite: (agentName: string, login: string) =>
    writeRootFile(caddySitePath(agentName), '0644', login),
  startCaddy: (login: string) =>
    [
      `${asRoot(login)}systemctl enable caddy`,
      // A reload keeps the sites of other agents on the host serving while this one is added.
      `${asRoot(login)}systemctl reload-or-restart caddy`,
    ].join(' && '),
  /** The unit's journal (`-u` matches on fields journald sets itself), as JSON for journalLines. */
  journal: (unit: string, login: string, lines: number) =>
    `${asRoot(login)}journalctl -u ${shellWord(unit)} -n ${Math.trunc(lines)} --no-pager -o json --output-fields=${journalFields}`,
  /**
   * The agent's own output, without systemd's lines about the unit: chosen by the unit journald saw
   * it come from, never by the identifier a writer gives itself (any user can log as `fleetbot-alice`).
   */
  agentOutput: (l: AgentLayout, login: string, lines: number) =>
    `${asRoot(login)}journalctl ${shellWord(`_SYSTEMD_UNIT=${l.unit}`)} -n ${Math.trunc(lines)} --no-pager -o cat`,
  buildImage: () => `sh -s`,
  poweroffSync: () => 'sync',
};
