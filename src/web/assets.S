/* The control surface's style sheet and script (src/web/assets/), embedded
 * at build time as NUL-terminated read-only strings: .incbin is part of the
 * GNU assembler and of clang's integrated one, so no generator tool is
 * needed. Paths are relative to the top of the tree (make runs there). The
 * page serves them inline (page.c): the page stays self-contained. */
    .section .rodata
    .globl jm_web_page_css
    .type jm_web_page_css, @object
jm_web_page_css:
    .incbin "src/web/assets/page.css"
    .byte 0
    .size jm_web_page_css, . - jm_web_page_css

    .globl jm_web_page_js
    .type jm_web_page_js, @object
jm_web_page_js:
    .incbin "src/web/assets/page.js"
    .byte 0
    .size jm_web_page_js, . - jm_web_page_js

    .section .note.GNU-stack,"",@progbits
