/** Where a photo's objects live in the uploads bucket (one place for the layout). */
export const originalKey = (photoId: string) => `photos/${photoId}/original`;
export const thumbnailKey = (photoId: string, sha256: string) => `photos/${photoId}/thumbnail-${sha256.slice(0, 16)}.webp`;
