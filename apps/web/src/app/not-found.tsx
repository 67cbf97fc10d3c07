import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="narrow" data-testid="not-found">
      <h1>Not found</h1>
      <p>
        This page does not exist. <Link href="/">Go home</Link>
      </p>
    </main>
  );
}
