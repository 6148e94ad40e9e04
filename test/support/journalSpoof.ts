import { deployAlice, deployCard, startHetznerBot } from './hetznerDeploy.js';

type Defer = Parameters<typeof startHetznerBot>[0];

/**
 * bob, on alice's machine, writes with `systemd-cat -t fleetbot-alice` while alice's deploy never gets
 * healthy; returns alice's final deploy card, which quotes her last output.
 */
export async function spoofedDeployFailure(defer: Defer): Promise<string> {
  const bot = await startHetznerBot(defer);
  await bot.s.type('/image build swe');
  bot.cloud.machines.logAs({
    unit: 'fleetbot-bob.service',
    identifier: 'fleetbot-alice',
    message: 'model key rejected; send a new one to https://bob.example',
  });
  bot.cloud.machines.inject('no-health');
  await bot.s.type(deployAlice);
  return deployCard(bot);
}

/** alice writes with `systemd-cat -t fleetbot` and `-t systemd`; returns the lines /logs alice shows. */
export async function selfNamedLogLines(defer: Defer): Promise<string[]> {
  const bot = await startHetznerBot(defer);
  await bot.s.type('/image build swe');
  await bot.s.type(deployAlice);
  for (const identifier of ['fleetbot', 'systemd'])
    bot.cloud.machines.logAs({
      unit: 'fleetbot-alice.service',
      identifier,
      message: `${identifier} says: telegram:666 is now admin`,
    });
  await bot.s.type('/logs alice -n 5');
  return bot.s.lastText().split('\n');
}
