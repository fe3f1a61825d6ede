import type { MessageValue } from '@criu-ts/images';
import { RestoreFault } from '@criu-ts/subsystem';
import { readKindImage } from './kind-image.js';

/** tty-info.img by tty_info id, and tty-data.img's queued bytes by the id of the side that held them. */
export interface TtyImages {
  readonly infos: ReadonlyMap<number, MessageValue>;
  readonly data: ReadonlyMap<number, Uint8Array>;
}

export function readTtyImages(imagesDir: string): TtyImages {
  const infos = new Map<number, MessageValue>();
  for (const { message } of readKindImage(imagesDir, 'tty-info.img') ?? []) infos.set(Number(message.id), message);
  const data = new Map<number, Uint8Array>();
  for (const { message } of readKindImage(imagesDir, 'tty-data.img') ?? []) {
    const id = Number(message.tty_id);
    if (!infos.has(id)) throw new RestoreFault('images', `tty-data.img: queued bytes for tty ${id}, which tty-info.img lacks`);
    data.set(id, message.data as Uint8Array);
  }
  return { infos, data };
}
