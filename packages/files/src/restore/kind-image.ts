import { type ImageEntry, ImagesDir } from '@criu-ts/images';
import { RestoreFault } from '@criu-ts/subsystem';

/**
 * The entries of an image a kind reads itself (fifo-data.img, remap-fpath.img, ghost files), or
 * undefined if the dump wrote none; a corrupt image stops the restore with the image's error.
 */
export function readKindImage(imagesDir: string, name: string): readonly ImageEntry[] | undefined {
  const dir = ImagesDir.open(imagesDir);
  if (dir._tag === 'Left') throw new RestoreFault('images', `images directory ${imagesDir}: ${dir.left.message}`);
  if (!dir.right.has(name)) return undefined;
  const image = dir.right.read(name);
  if (image._tag === 'Left') throw new RestoreFault('images', image.left.message);
  return image.right.entries;
}
