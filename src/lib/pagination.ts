/**
 * GOV.UK pagination: first and last page, the current page and its neighbours, with ellipses
 * for the gaps ("1 … 4 5 6 … 20").
 */
export function paginationParams(page: number, totalPages: number, href: (page: number) => string, landmarkLabel: string) {
  if (totalPages <= 1) return null;
  const numbers = [...new Set([1, page - 1, page, page + 1, totalPages])].filter((n) => n >= 1 && n <= totalPages).sort((a, b) => a - b);
  const items: ({ number: number; href: string; current: boolean } | { ellipsis: true })[] = [];
  numbers.forEach((n, index) => {
    if (index > 0 && n - numbers[index - 1]! > 1) items.push({ ellipsis: true });
    items.push({ number: n, href: href(n), current: n === page });
  });
  return {
    previous: page > 1 ? { href: href(page - 1) } : null,
    next: page < totalPages ? { href: href(page + 1) } : null,
    items,
    landmarkLabel,
  };
}
