#pragma once

#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace poolscope {

// The first character of [p, end) that is one of the needles, or end. Queries are mostly
// text the lexer only has to step over, so it skips eight characters at a time where it can.
template<size_t N>
const char16_t *findFirstOf(const char16_t *p, const char16_t *end, const char16_t (&needles)[N])
{
#if defined(__SSE2__)
    __m128i wanted[N];
    for (size_t i = 0; i < N; ++i)
        wanted[i] = _mm_set1_epi16(short(needles[i]));
    while (end - p >= 8) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        __m128i hit = _mm_cmpeq_epi16(chunk, wanted[0]);
        for (size_t i = 1; i < N; ++i)
            hit = _mm_or_si128(hit, _mm_cmpeq_epi16(chunk, wanted[i]));
        if (const int mask = _mm_movemask_epi8(hit))
            return p + __builtin_ctz(unsigned(mask)) / 2;
        p += 8;
    }
#endif
    for (; p < end; ++p) {
        for (char16_t needle : needles) {
            if (*p == needle)
                return p;
        }
    }
    return end;
}

} // namespace poolscope
