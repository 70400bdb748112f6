// The fork-time rmap ordering rule (reviewbot's MM002 ref-before-dup), as Coccinelle
// would state it: an rmap dup call that a path from the start of its function reaches
// without a reference taken on that folio first. This also catches the reference taken
// only after the dup (the ordering the seed thread rejected): no reference precedes it.
// Used by scan_vs_spatch.py as the peer's one rule.
//
// Confidence: Medium. False positives: a reference taken by the caller, or by a helper
// other than folio_get()/folio_ref_add().

@r exists@
expression F;
identifier dup =~ "^(folio_try_dup_anon_rmap_ptes?|folio_try_dup_anon_rmap_pmd|folio_dup_file_rmap_ptes?|folio_dup_file_rmap_pmd|hugetlb_try_dup_anon_rmap)$";
identifier fn;
position p;
@@
fn(...) {
... when != folio_get(F)
    when != folio_ref_add(F, ...)
dup@p(F, ...)
...
}

@script:python@
p << r.p;
dup << r.dup;
@@
print("%s:%s: %s() without a reference taken before it" % (p[0].file, p[0].line, dup))
