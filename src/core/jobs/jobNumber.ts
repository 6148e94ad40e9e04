import { z } from 'zod';

/** A job as people type it (`12`, `#12`) and programs send it (a string of digits), as its number. */
export const jobNumberSchema = (example: string) =>
  z.union([z.number().int().min(1).max(999_999_999_999), z.string()]).transform((v, ctx) => {
    const text = String(v);
    if (/^#?\d{1,12}$/.test(text)) return Number(text.replace('#', ''));
    ctx.addIssue({ code: 'custom', message: `Give the job number, e.g. ${example} (see /jobs).` });
    return z.NEVER;
  });
