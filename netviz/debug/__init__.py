"""The debugger's languages and tools, over recorded values: breakpoint kinds
(:mod:`.breakpoints`), the safe watch language (:mod:`.watch`), each op's explanation
(:mod:`.explain`), the chain-rule card (:mod:`.chain`), and what one example's pass holds with
the checks over it (:mod:`.passes`). Numpy and the core only; the session calls these with its
own state."""
