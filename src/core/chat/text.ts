/* eslint-disable no-control-regex -- these patterns exist to find control characters */

/** C0/C1 control characters except tab and newline: they garble terminals, logs and chat layouts. */
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const ansiSgr = /\x1b\[[0-9;]*m/g;

export const stripControls = (text: string): string => text.replace(controls, '');

/** The printable width of text that may carry colour codes. */
export const visibleLength = (text: string): number => text.replace(ansiSgr, '').length;
