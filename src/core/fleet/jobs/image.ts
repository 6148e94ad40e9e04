import { z } from 'zod';
import { code } from '../../chat/outbound.js';
import { defineJob } from './define.js';

/** Builds a role's golden image, on the named provider or the one that boots from images; no agent. */
export const imageJob = defineJob({
  kind: 'image',
  params: z.object({ role: z.string(), provider: z.string().optional() }),
  build(params, deps) {
    const role = deps.roleOf(params.role);
    const { provider, images } = deps.imageProvider(params.provider);
    return {
      subject: `image ${role.name}`,
      plan: images.buildPlan(role),
      wording: {
        title: `Build image for ${role.name} (${provider.name})`,
        retryHint: `Fix the cause and run /image build ${role.name}${params.provider ? ` --provider ${provider.name}` : ''} again.`,
        cleanupHint: [
          'Check the provider for a leftover build server or image: ',
          code(`/image list --provider ${provider.name}`),
        ],
        onSuccess: () => [
          [
            'New deploys of ',
            code(role.name),
            ` on ${provider.name} use this image. `,
            code(`/image list --provider ${provider.name}`),
          ],
        ],
      },
      settle: () => undefined,
    };
  },
});
