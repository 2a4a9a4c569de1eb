/**
 * The small picture of a finished panel that the side view shows beside its recent result: the
 * first figure, drawn as for export (in the editor's theme) and scaled down to a PNG data URL.
 */
import type { Figure } from '../components/figure';
import type { Theme } from '../lib/theme';

/** Fits the side view's row; small enough that a dozen stay cheap in workspace storage. */
export const THUMBNAIL_WIDTH = 128;
export const THUMBNAIL_HEIGHT = 96;

export async function thumbnailOf(fig: Figure, theme: Theme): Promise<string> {
  const png = await fig.toPng(theme, 1);
  const bitmap = await createImageBitmap(png);
  try {
    const scale = Math.min(1, THUMBNAIL_WIDTH / bitmap.width, THUMBNAIL_HEIGHT / bitmap.height);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2-D canvas');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL('image/png');
  } finally {
    bitmap.close();
  }
}
