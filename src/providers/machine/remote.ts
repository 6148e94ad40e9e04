import { shellWord } from './escape.js';
import { caddySitePath, type AgentLayout } from './layout.js';

// The commands fleetbot runs on a machine, one function each, so what runs there is listed in one
// place. Values are quoted for the shell; secrets are never part of a command.

/** Privileged commands go through sudo unless fleetbot logs in as root. */
export const asRoot = (user: string): string => (user === 'root' ? '' : 'sudo -n ');

export const remote = {
  makeAppDir: (l: AgentLayout, login: string) =>
    `${asRoot(login)}install -d -m 0750 -o ${shellWord(login)} ${shellWord(l.appDir)}`,
  startUnit: (l: AgentLayout, login: string, runAs: string) =>
    [
      `${asRoot(login)}chown -R ${shellWord(`${runAs}:${runAs}`)} ${shellWord(l.appDir)}`,
      `${asRoot(login)}install -m 0644 ${shellWord(`${l.appDir}/${l.unit}`)} ${shellWord(`/etc/systemd/system/${l.unit}`)}`,
      `${asRoot(login)}systemctl daemon-reload`,
      `${asRoot(login)}systemctl enable --now ${shellWord(l.unit)}`,
    ].join(' && '),
  restartUnit: (l: AgentLayout, login: string) => `${asRoot(login)}systemctl restart ${shellWord(l.unit)}`,
  stopUnit: (l: AgentLayout, login: string) =>
    `${asRoot(login)}systemctl disable --now ${shellWord(l.unit)} || true`,
  removeAgent: (l: AgentLayout, login: string) =>
    [
      `${asRoot(login)}systemctl disable --now ${shellWord(l.unit)} || true`,
      `${asRoot(login)}rm -f ${shellWord(`/etc/systemd/system/${l.unit}`)}`,
      `${asRoot(login)}rm -rf ${shellWord(l.appDir)}`,
      // Other agents on the host keep their sites; a Caddy that is not running stays stopped.
      `${asRoot(login)}rm -f ${shellWord(caddySitePath(l.name))}`,
      `${asRoot(login)}systemctl try-reload-or-restart caddy || true`,
      `${asRoot(login)}systemctl daemon-reload`,
    ].join('; '),
  unitState: (l: AgentLayout) => `systemctl is-active ${shellWord(l.unit)}`,
  localHealth: (l: AgentLayout) =>
    `curl -sS --max-time 3 ${shellWord(`http://127.0.0.1:${l.port}${l.healthPath}`)}`,
  startCaddy: (l: AgentLayout, login: string) =>
    [
      `${asRoot(login)}install -m 0644 ${shellWord(`${l.appDir}/Caddyfile`)} /etc/caddy/Caddyfile`,
      `${asRoot(login)}install -d -m 0755 /etc/caddy/fleetbot.d`,
      `${asRoot(login)}install -m 0644 ${shellWord(`${l.appDir}/site.caddy`)} ${shellWord(caddySitePath(l.name))}`,
      `${asRoot(login)}systemctl enable caddy`,
      // A reload keeps the sites of other agents on the host serving while this one is added.
      `${asRoot(login)}systemctl reload-or-restart caddy`,
    ].join(' && '),
  journal: (unit: string, login: string, lines: number) =>
    `${asRoot(login)}journalctl -u ${shellWord(unit)} -n ${Math.trunc(lines)} --no-pager -o short-iso`,
  buildImage: () => `sh -s`,
  poweroffSync: () => 'sync',
};
