/* OSC 1.0 address pattern matching with a bounded cost.
 *
 * A pattern matches an address part by part: parts are separated by '/'
 * and a pattern never crosses one. Inside a part: '?' any one character,
 * '*' any run of characters (none included), "[abc]" "[a-z]" "[!a]" one
 * character of (or, with '!', not of) the set, "{foo,bar}" one of the
 * literal strings; anything else matches itself. A part is matched by a
 * table of (pattern position, address position) pairs, each reached at
 * most once: the cost is at most about the product of the two part
 * lengths, never exponential, whatever the pattern.
 *
 * Threads: any (no state; reentrant); not for the audio thread. */
#ifndef JMIXD_OSC_MATCH_H
#define JMIXD_OSC_MATCH_H

#include <stdint.h>

/* Longest part (between two '/') a pattern or an address may have; a
 * longer one matches nothing. */
#define JM_OSC_MATCH_PART_MAX 256

/* Match `address` (no wildcards) against `pattern`. *budget is the work
 * still allowed (one unit per pattern/address position pair tried or
 * set/list character compared, a quarter of a unit per character merely
 * scanned; about 4 ns each); it is decreased by the work done. 1 match, 0 no
 * match, -1 the budget ran out (*budget is then 0). */
int jm_osc_match(const char *pattern, const char *address, uint64_t *budget);

#endif
