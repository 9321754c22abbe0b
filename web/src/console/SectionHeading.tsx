import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A console section's heading (id "section-title"). It takes focus when the section opens, so a
 * keyboard or screen-reader user switching sections lands at its start rather than on the menu.
 */
export function SectionHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h2 id="section-title" ref={ref} tabIndex={-1}>
      {children}
    </h2>
  );
}
