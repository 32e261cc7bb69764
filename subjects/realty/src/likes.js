// Likes given since the server started. Other modules read the live binding; only the
// functions below change it.
export let totalLikes = 0;

export function recordLike() {
  totalLikes++;
}
