/*
 * batch-eval's testlib-compatible header: the part of testlib's public API that problems'
 * interactors and checkers use, written for batch-eval from that API's documentation (the
 * names, arguments, exit codes and messages a problem relies on). It is not testlib.h: to
 * judge with the real one, point batch-eval at it (`--testlib PATH` or BATCH_EVAL_TESTLIB).
 *
 * Covered: registerTestlibCmd (checkers: `checker INPUT OUTPUT ANSWER`), registerInteraction
 * (interactors: `interactor INPUT OUTPUT [ANSWER]`; `ouf` reads the program's output from our
 * stdin, `tout` writes OUTPUT), the streams inf/ouf/ans and their readers (with ranges and
 * names), quit/quitf/quitp/quitif/ensure/ensuref, the results and their exit codes
 * (_ok 0, _wa 1, _pe 2, _fail 3, _points 7, _unexpected_eof 8, _pc(n) 16 + n; _dirt, extra
 * output, is reported as wrong output format: 2),
 * token patterns, format, vtos/toString, println, setName, rnd, doubleCompare, compareWords, upperCase/lowerCase,
 * englishEnding. Anything else is missing: a source using it does not compile.
 *
 * As testlib: a reading error on inf or ans is FAIL (the problem's fault); on ouf it is the
 * program's (wrong answer, or wrong output format); reaching ouf's end early is "unexpected
 * eof", reported as wrong output format unless ENABLE_UNEXPECTED_EOF is defined (then exit 8).
 * A checker's _ok with unread non-blank output left is "Extra information in the output
 * file" (wrong output format); an interactor's _ok never reads further (its ouf is a pipe).
 */
#ifndef BATCH_EVAL_TESTLIB_H
#define BATCH_EVAL_TESTLIB_H

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#define BATCH_EVAL_TESTLIB 1

enum TResult {
    _ok = 0,
    _wa = 1,
    _pe = 2,
    _fail = 3,
    _dirt = 4,
    _points = 5,
    _unexpected_eof = 8,
    _partially = 16
};

#define _pc(exitCode) (TResult(_partially + (exitCode)))

enum TMode { _input, _output, _answer };
enum TTestlibMode { _unknown, _checker, _validator, _generator, _interactor, _scorer };

static TTestlibMode testlibMode = _unknown;
static std::string __be_checker_name;
static double __be_points = 0;

const double EPS = 1E-6;

template <typename T>
inline std::string vtos(const T &t) {
    std::ostringstream out;
    out.precision(12);
    out << t;
    return out.str();
}

inline std::string vtos(const std::string &t) { return t; }
inline std::string vtos(const char *t) { return std::string(t); }

template <typename T>
inline std::string toString(const T &t) {
    return vtos(t);
}

inline std::string __be_vformat(const char *fmt, va_list args) {
    va_list copy;
    va_copy(copy, args);
    int size = std::vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (size < 0)
        return std::string(fmt);
    std::vector<char> buffer(size + 1);
    std::vsnprintf(buffer.data(), buffer.size(), fmt, args);
    return std::string(buffer.data(), size);
}

#ifdef __GNUC__
__attribute__((format(printf, 1, 2)))
#endif
inline std::string format(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::string result = __be_vformat(fmt, args);
    va_end(args);
    return result;
}

inline std::string format(const std::string fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::string result = __be_vformat(fmt.c_str(), args);
    va_end(args);
    return result;
}

inline std::string upperCase(std::string s) {
    for (size_t i = 0; i < s.size(); i++)
        s[i] = (char)std::toupper((unsigned char)s[i]);
    return s;
}

inline std::string lowerCase(std::string s) {
    for (size_t i = 0; i < s.size(); i++)
        s[i] = (char)std::tolower((unsigned char)s[i]);
    return s;
}

/* "st", "nd", "rd" or "th": the English ending of an ordinal number (1st, 12th, 23rd). */
template <typename T>
inline std::string englishEnding(T x) {
    long long n = (long long)x;
    if (n < 0)
        n = -n;
    if (n % 100 / 10 == 1)
        return "th";
    switch (n % 10) {
        case 1:
            return "st";
        case 2:
            return "nd";
        case 3:
            return "rd";
        default:
            return "th";
    }
}

/* A token shortened for a message: at most 64 characters, its middle elided. */
inline std::string __be_compress(const std::string &s) {
    if (s.size() <= 64)
        return s;
    return s.substr(0, 30) + "..." + s.substr(s.size() - 31);
}

inline std::string compress(const std::string &s) { return __be_compress(s); }

inline bool __be_is_blank(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Whether `result` is within `maxDoubleError` of `expected`, absolutely or relatively. */
inline bool doubleCompare(double expected, double result, double maxDoubleError) {
    if (std::isnan(expected) || std::isnan(result))
        return std::isnan(expected) && std::isnan(result);
    if (std::isinf(expected) || std::isinf(result))
        return expected == result;
    if (std::fabs(result - expected) <= maxDoubleError + 1E-15)
        return true;
    double low = std::min(expected * (1.0 - maxDoubleError), expected * (1.0 + maxDoubleError));
    double high = std::max(expected * (1.0 - maxDoubleError), expected * (1.0 + maxDoubleError));
    return result + 1E-15 >= low && result <= high + 1E-15;
}

inline double doubleDelta(double expected, double result) {
    double absolute = std::fabs(result - expected);
    if (std::fabs(expected) > 1E-9)
        return std::min(absolute, absolute / std::fabs(expected));
    return absolute;
}

inline bool compareWords(const std::string &first, const std::string &second) {
    std::istringstream a(first), b(second);
    std::string x, y;
    while (true) {
        bool hasX = bool(a >> x), hasY = bool(b >> y);
        if (hasX != hasY)
            return false;
        if (!hasX)
            return true;
        if (x != y)
            return false;
    }
}

inline void setName(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    __be_checker_name = __be_vformat(fmt, args);
    va_end(args);
}

[[noreturn]] inline void quit(TResult result, const std::string &message);

/* testlib's token patterns: literals (`\` escapes), classes `[a-z0-9_]` (`[^...]` negated),
   groups `( )`, alternatives `|`, and the repeats `*`, `+`, `?`, `{n}`, `{n,m}`. */
class pattern {
   public:
    pattern() : root(-1) {}

    explicit pattern(const std::string &text) : src(text), at(0) {
        root = parseAlternatives();
        if (at != src.size())
            invalid();
    }

    /* Whether the whole of `s` matches. */
    bool matches(const std::string &s) const {
        if (root < 0)
            return s.empty();
        std::vector<int> ends;
        match(root, s, 0, ends);
        return std::find(ends.begin(), ends.end(), (int)s.size()) != ends.end();
    }

    std::string src;

   private:
    struct Node {
        int kind;  // 0 literal set, 1 sequence, 2 alternatives, 3 repeat
        std::vector<bool> chars;
        std::vector<int> children;
        int low, high;
    };
    std::vector<Node> nodes;
    size_t at;
    int root;

    void invalid() const { quit(_fail, "invalid pattern: \"" + src + "\""); }

    int add(const Node &node) {
        nodes.push_back(node);
        return (int)nodes.size() - 1;
    }

    int parseAlternatives() {
        Node alt = {2, std::vector<bool>(), std::vector<int>(), 0, 0};
        alt.children.push_back(parseSequence());
        while (at < src.size() && src[at] == '|') {
            at++;
            alt.children.push_back(parseSequence());
        }
        return alt.children.size() == 1 ? alt.children[0] : add(alt);
    }

    int parseSequence() {
        Node seq = {1, std::vector<bool>(), std::vector<int>(), 0, 0};
        while (at < src.size() && src[at] != '|' && src[at] != ')') {
            int atom = parseAtom();
            while (at < src.size() && (src[at] == '*' || src[at] == '+' || src[at] == '?' || src[at] == '{')) {
                Node rep = {3, std::vector<bool>(), std::vector<int>(1, atom), 0, INT_MAX};
                char q = src[at++];
                if (q == '+')
                    rep.low = 1;
                else if (q == '?')
                    rep.high = 1;
                else if (q == '{') {
                    rep.low = readNumber();
                    rep.high = rep.low;
                    if (at < src.size() && src[at] == ',') {
                        at++;
                        rep.high = readNumber();
                    }
                    if (at >= src.size() || src[at] != '}' || rep.low > rep.high)
                        invalid();
                    at++;
                }
                atom = add(rep);
            }
            seq.children.push_back(atom);
        }
        return add(seq);
    }

    int readNumber() {
        size_t start = at;
        int value = 0;
        while (at < src.size() && std::isdigit((unsigned char)src[at]))
            value = value * 10 + (src[at++] - '0');
        if (at == start)
            invalid();
        return value;
    }

    int parseAtom() {
        char c = src[at++];
        if (c == '(') {
            int inner = parseAlternatives();
            if (at >= src.size() || src[at] != ')')
                invalid();
            at++;
            return inner;
        }
        Node set = {0, std::vector<bool>(256, false), std::vector<int>(), 0, 0};
        if (c == '[') {
            bool negate = at < src.size() && src[at] == '^';
            if (negate)
                at++;
            while (at < src.size() && src[at] != ']') {
                unsigned char from = (unsigned char)(src[at] == '\\' && at + 1 < src.size() ? src[++at] : src[at]);
                at++;
                unsigned char to = from;
                if (at + 1 < src.size() && src[at] == '-' && src[at + 1] != ']') {
                    to = (unsigned char)src[at + 1];
                    at += 2;
                }
                for (int x = from; x <= to; x++)
                    set.chars[x] = true;
            }
            if (at >= src.size())
                invalid();
            at++;
            if (negate)
                set.chars.flip();
            return add(set);
        }
        if (c == '\\') {
            if (at >= src.size())
                invalid();
            c = src[at++];
        }
        set.chars[(unsigned char)c] = true;
        return add(set);
    }

    /* Every end position of a match of node `n` of `s` starting at `pos` (added to `ends`). */
    void match(int n, const std::string &s, int pos, std::vector<int> &ends) const {
        const Node &node = nodes[n];
        if (node.kind == 0) {
            if (pos < (int)s.size() && node.chars[(unsigned char)s[pos]])
                ends.push_back(pos + 1);
        } else if (node.kind == 2) {
            for (size_t i = 0; i < node.children.size(); i++)
                match(node.children[i], s, pos, ends);
        } else {
            std::vector<int> current(1, pos);
            bool repeat = node.kind == 3;
            size_t steps = repeat ? (size_t)std::min(node.high, (int)s.size() + 1) : node.children.size();
            if (repeat && node.low == 0)
                ends.push_back(pos);
            for (size_t i = 0; i < steps && !current.empty(); i++) {
                std::vector<int> next;
                for (size_t j = 0; j < current.size(); j++)
                    match(node.children[repeat ? 0 : i], s, current[j], next);
                std::sort(next.begin(), next.end());
                next.erase(std::unique(next.begin(), next.end()), next.end());
                current.swap(next);
                if (repeat && (int)i + 1 >= node.low)
                    ends.insert(ends.end(), current.begin(), current.end());
            }
            if (!repeat)
                ends.insert(ends.end(), current.begin(), current.end());
        }
    }
};

/* One of the three streams: a file (inf, ans, a checker's ouf) or our stdin (an interactor's ouf). */
class InStream {
   public:
    InStream() : file(NULL), mode(_input), opened(false), stdfile(false) {}

    void init(const char *path, TMode streamMode) {
        mode = streamMode;
        file = std::fopen(path, "rb");
        if (file == NULL)
            quit(_fail, std::string("Can not open file ") + path);
        opened = true;
    }

    void initStdin(TMode streamMode) {
        mode = streamMode;
        file = stdin;
        opened = true;
        stdfile = true;
    }

    void close() {
        if (opened && !stdfile && file != NULL)
            std::fclose(file);
        opened = false;
    }

    /* The next character without taking it (EOF at the end). */
    int curChar() { return peek(); }

    int nextChar() { return get(); }

    void skipChar() { get(); }

    void unreadChar(int c) {
        if (c != EOF)
            std::ungetc(c, file);
    }

    bool eof() { return peek() == EOF; }

    /* Skips blanks (spaces, tabs, line ends); whether the stream ended. */
    bool seekEof() {
        if (!opened)
            return true;
        skipBlanks();
        return eof();
    }

    /* Whether a line ends here (blanks before it skipped). */
    bool eoln() {
        int c = peek();
        if (c == '\r') {
            get();
            int d = peek();
            unreadChar('\r');
            return d == '\n';
        }
        return c == '\n';
    }

    bool seekEoln() {
        while (peek() == ' ' || peek() == '\t')
            get();
        return eoln();
    }

    void nextLine() {
        int c;
        while ((c = get()) != EOF && c != '\n') {
        }
    }

    void skipBlanks() {
        while (__be_is_blank(peek()))
            get();
    }

    void readEoln() {
        int c = get();
        if (c == '\r')
            c = get();
        if (c != '\n')
            quit(_pe, "Expected EOLN");
    }

    void readEof() {
        if (peek() != EOF)
            quit(_pe, "Expected EOF");
    }

    void readSpace() {
        if (get() != ' ')
            quit(_pe, "Expected space");
    }

    char readChar() {
        int c = get();
        if (c == EOF)
            quit(_unexpected_eof, "Unexpected end of file - char expected");
        return (char)c;
    }

    char readChar(char expected) {
        int c = get();
        if (c == EOF)
            quit(_unexpected_eof, "Unexpected end of file - char expected");
        if (c != (unsigned char)expected)
            quit(_pe, std::string("Unexpected character '") + (char)c + "', but '" + expected +
                          "' expected");
        return (char)c;
    }

    std::string readWord() { return readToken(); }

    std::string readToken() { return readTokenOf("token"); }

    /* The next token; at the end of the stream "Unexpected end of file - WHAT expected". */
    std::string readTokenOf(const char *what) {
        skipBlanks();
        if (peek() == EOF)
            quit(_unexpected_eof, std::string("Unexpected end of file - ") + what + " expected");
        std::string token;
        while (peek() != EOF && !__be_is_blank(peek()))
            token += (char)get();
        return token;
    }

    std::string readWord(const std::string &ptrn, const std::string &variableName = "") {
        return readToken(pattern(ptrn), variableName);
    }

    std::string readToken(const std::string &ptrn, const std::string &variableName = "") {
        return readToken(pattern(ptrn), variableName);
    }

    std::string readWord(const pattern &p, const std::string &variableName = "") {
        return readToken(p, variableName);
    }

    std::string readToken(const pattern &p, const std::string &variableName = "") {
        std::string token = readToken();
        if (!p.matches(token)) {
            if (variableName.empty())
                quit(_wa, "Token \"" + __be_compress(token) + "\" doesn't correspond to pattern \"" + p.src + "\"");
            quit(_wa, "Token parameter [name=" + variableName + "] equals to \"" + __be_compress(token) +
                          "\", doesn't correspond to pattern \"" + p.src + "\"");
        }
        return token;
    }

    /* The rest of the line, its end taken (not returned); at the end of the stream, an error. */
    std::string readLine() {
        if (peek() == EOF)
            quit(_unexpected_eof, "Unexpected end of file - line expected");
        std::string line;
        int c;
        while ((c = peek()) != EOF && c != '\n') {
            line += (char)get();
        }
        if (c == '\n')
            get();
        if (!line.empty() && line[line.size() - 1] == '\r')
            line.erase(line.size() - 1);
        return line;
    }

    std::string readString() { return readLine(); }

    long long readLong() { return parseLong(readTokenOf("int64"), "integer"); }

    long long readLong(long long minv, long long maxv, const std::string &variableName = "") {
        long long value = readLong();
        checkRange("Integer", value, minv, maxv, variableName);
        return value;
    }

    unsigned long long readUnsignedLong() {
        std::string token = readTokenOf("int64");
        bool digits = !token.empty() && token.size() <= 20 && (token == "0" || token[0] != '0');
        for (size_t i = 0; digits && i < token.size(); i++)
            digits = std::isdigit((unsigned char)token[i]) != 0;
        if (!digits || (token.size() == 20 && token > "18446744073709551615"))
            quit(_pe, "Expected unsigned integer, but \"" + __be_compress(token) + "\" found");
        return std::strtoull(token.c_str(), NULL, 10);
    }

    unsigned long long readUnsignedLong(unsigned long long minv, unsigned long long maxv,
                                        const std::string &variableName = "") {
        unsigned long long value = readUnsignedLong();
        checkRange("Unsigned integer", value, minv, maxv, variableName);
        return value;
    }

    int readInt() {
        std::string token = readTokenOf("int32");
        long long value = parseLong(token, "integer");
        if (value < INT_MIN || value > INT_MAX)
            quit(_pe, "Expected int32, but \"" + __be_compress(token) + "\" found");
        return (int)value;
    }

    int readInt(int minv, int maxv, const std::string &variableName = "") {
        int value = readInt();
        checkRange("Integer", value, minv, maxv, variableName);
        return value;
    }

    int readInteger() { return readInt(); }

    double readDouble() { return parseDouble(readTokenOf("double")); }

    double readDouble(double minv, double maxv, const std::string &variableName = "") {
        double value = readDouble();
        checkRange("Double", value, minv, maxv, variableName);
        return value;
    }

    double readReal() { return readDouble(); }

    double readReal(double minv, double maxv, const std::string &variableName = "") {
        return readDouble(minv, maxv, variableName);
    }

    /* A fixed-point number with between minAfterPointDigitCount and maxAfterPointDigitCount
       digits after its point (no exponent), within [minv, maxv]. */
    double readStrictDouble(double minv, double maxv, int minAfterPointDigitCount, int maxAfterPointDigitCount,
                            const std::string &variableName = "") {
        std::string token = readTokenOf("strict double");
        size_t i = (token.size() > 0 && token[0] == '-') ? 1 : 0;
        size_t digitsBefore = 0, digitsAfter = 0;
        while (i < token.size() && std::isdigit((unsigned char)token[i]))
            i++, digitsBefore++;
        bool point = i < token.size() && token[i] == '.';
        if (point) {
            i++;
            while (i < token.size() && std::isdigit((unsigned char)token[i]))
                i++, digitsAfter++;
        }
        bool valid = i == token.size() && digitsBefore > 0 && (!point || digitsAfter > 0) &&
                     (digitsBefore == 1 || token[token[0] == '-' ? 1 : 0] != '0');
        if (!valid || (int)digitsAfter < minAfterPointDigitCount || (int)digitsAfter > maxAfterPointDigitCount)
            quit(_pe, "Expected strict double, but \"" + __be_compress(token) + "\" found");
        double value = std::strtod(token.c_str(), NULL);
        checkRange("Strict double", value, minv, maxv, variableName);
        return value;
    }

    double readStrictReal(double minv, double maxv, int minAfter, int maxAfter, const std::string &name = "") {
        return readStrictDouble(minv, maxv, minAfter, maxAfter, name);
    }

    std::vector<int> readInts(int size, int minv, int maxv, const std::string &variablesName = "",
                              int indexBase = 1) {
        std::vector<int> values;
        for (int i = 0; i < size; i++)
            values.push_back(readInt(minv, maxv, indexed(variablesName, i + indexBase)));
        return values;
    }

    std::vector<int> readInts(int size, int indexBase = 1) {
        (void)indexBase;
        std::vector<int> values;
        for (int i = 0; i < size; i++)
            values.push_back(readInt());
        return values;
    }

    std::vector<long long> readLongs(int size, long long minv, long long maxv,
                                     const std::string &variablesName = "", int indexBase = 1) {
        std::vector<long long> values;
        for (int i = 0; i < size; i++)
            values.push_back(readLong(minv, maxv, indexed(variablesName, i + indexBase)));
        return values;
    }

    std::vector<long long> readLongs(int size, int indexBase = 1) {
        (void)indexBase;
        std::vector<long long> values;
        for (int i = 0; i < size; i++)
            values.push_back(readLong());
        return values;
    }

    std::vector<std::string> readTokens(int size, int indexBase = 1) {
        (void)indexBase;
        std::vector<std::string> values;
        for (int i = 0; i < size; i++)
            values.push_back(readToken());
        return values;
    }

    std::vector<std::string> readWords(int size, int indexBase = 1) { return readTokens(size, indexBase); }

    /* Ends the run with `result` and `message`; a failure on inf or ans is the problem's (FAIL). */
    [[noreturn]] void quit(TResult result, const std::string &message) {
        TResult why = result;
#ifndef ENABLE_UNEXPECTED_EOF
        if (why == _unexpected_eof)
            why = _pe;
#endif
        if (mode != _output && why != _fail) {
            ::quit(_fail, message + " (" + (mode == _input ? "input" : "answer") + " file)");
        }
        ::quit(why, message);
    }

    [[noreturn]] void quit(TResult result, const char *message) { quit(result, std::string(message)); }

    [[noreturn]] void quitf(TResult result, const char *fmt, ...) {
        va_list args;
        va_start(args, fmt);
        std::string message = __be_vformat(fmt, args);
        va_end(args);
        quit(result, message);
    }

    void ensuref(bool condition, const char *fmt, ...) {
        if (condition)
            return;
        va_list args;
        va_start(args, fmt);
        std::string message = __be_vformat(fmt, args);
        va_end(args);
        quit(_wa, message);
    }

    std::FILE *file;
    TMode mode;
    bool opened;
    bool stdfile;

   private:
    int peek() {
        if (!opened)
            return EOF;
        int c = std::getc(file);
        if (c != EOF)
            std::ungetc(c, file);
        return c;
    }

    int get() {
        if (!opened)
            return EOF;
        return std::getc(file);
    }

    static std::string indexed(const std::string &name, int index) {
        return name.empty() ? name : name + "[" + vtos(index) + "]";
    }

    long long parseLong(const std::string &token, const char *what) {
        size_t start = (!token.empty() && token[0] == '-') ? 1 : 0;
        bool valid = token.size() > start && token.size() <= start + 19;
        for (size_t i = start; valid && i < token.size(); i++)
            valid = std::isdigit((unsigned char)token[i]) != 0;
        if (valid && token[start] == '0' && (token.size() > start + 1 || start == 1))
            valid = false;  // no leading zeros, no "-0"
        if (valid) {
            errno = 0;
            long long value = std::strtoll(token.c_str(), NULL, 10);
            if (errno == 0)
                return value;
        }
        quit(_pe, std::string("Expected ") + what + ", but \"" + __be_compress(token) + "\" found");
        return 0;
    }

    double parseDouble(const std::string &token) {
        const char *begin = token.c_str();
        char *end = NULL;
        double value = std::strtod(begin, &end);
        bool valid = !token.empty() && end == begin + token.size() && !std::isnan(value) && !std::isinf(value);
        for (size_t i = 0; valid && i < token.size(); i++) {
            char c = token[i];
            valid = std::isdigit((unsigned char)c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
        }
        if (!valid)
            quit(_pe, "Expected double, but \"" + __be_compress(token) + "\" found");
        return value;
    }

    template <typename T>
    void checkRange(const char *kind, T value, T minv, T maxv, const std::string &name) {
        if (minv <= value && value <= maxv)
            return;
        if (name.empty())
            quit(_wa, std::string(kind) + " " + vtos(value) + " violates the range [" + vtos(minv) + ", " +
                          vtos(maxv) + "]");
        quit(_wa, std::string(kind) + " parameter [name=" + name + "] equals to " + vtos(value) +
                      ", violates the range [" + vtos(minv) + ", " + vtos(maxv) + "]");
    }
};

static InStream inf;
static InStream ouf;
static InStream ans;
static std::ofstream tout;

inline int __be_exit_code(TResult result) {
    switch (result) {
        case _ok:
            return 0;
        case _wa:
            return 1;
        case _pe:
            return 2;
        case _fail:
            return 3;
        case _dirt:
            return 2;  // reported as wrong output format, as testlib does
        case _points:
            return 7;
        case _unexpected_eof:
            return 8;
        default:
            if (result >= _partially)
                return (int)result;
            return 3;
    }
}

inline const char *__be_result_name(TResult result) {
    switch (result) {
        case _ok:
            return "ok";
        case _wa:
            return "wrong answer";
        case _pe:
        case _dirt:
            return "wrong output format";
        case _fail:
            return "FAIL";
        case _points:
            return "points";
        case _unexpected_eof:
            return "unexpected eof";
        default:
            return "partially correct";
    }
}

/* Ends the program with `result`: its words on stderr, testlib's exit code. */
[[noreturn]] inline void quit(TResult result, const std::string &message) {
    std::string said = message;
    if ((result == _ok || result == _points || result >= _partially) && testlibMode == _checker &&
        !ouf.seekEof()) {
        result = _dirt;
        said = "Extra information in the output file";
    }
    std::fflush(stdout);
    std::cout.flush();
    if (tout.is_open())
        tout.close();
    std::string words = __be_result_name(result);
    if (result == _points)
        words += " " + vtos(__be_points);
    if (!said.empty())
        words += " " + said;
    std::fprintf(stderr, "%s\n", words.c_str());
    std::fflush(stderr);
    inf.close();
    ans.close();
    ouf.close();
    std::exit(__be_exit_code(result));
}

[[noreturn]] inline void quit(TResult result, const char *message) { quit(result, std::string(message)); }

#ifdef __GNUC__
__attribute__((format(printf, 2, 3)))
#endif
[[noreturn]] inline void quitf(TResult result, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::string message = __be_vformat(fmt, args);
    va_end(args);
    quit(result, message);
}

inline void quitp(double points, const std::string &message = "") {
    __be_points = points;
    quit(_points, message);
}

inline void quitp(int points, const std::string &message = "") { quitp((double)points, message); }

inline void quitp(long long points, const std::string &message = "") { quitp((double)points, message); }

template <typename F>
inline void quitp(F points, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::string message = __be_vformat(fmt, args);
    va_end(args);
    quitp((double)points, message);
}

#ifdef __GNUC__
__attribute__((format(printf, 3, 4)))
#endif
inline void quitif(bool condition, TResult result, const char *fmt, ...) {
    if (!condition)
        return;
    va_list args;
    va_start(args, fmt);
    std::string message = __be_vformat(fmt, args);
    va_end(args);
    quit(result, message);
}

#define ensure(cond) \
    ((cond) ? (void)0 : quit(_fail, std::string("Condition failed: \"") + #cond + "\""))

#ifdef __GNUC__
__attribute__((format(printf, 2, 3)))
#endif
inline void ensuref(bool condition, const char *fmt, ...) {
    if (condition)
        return;
    va_list args;
    va_start(args, fmt);
    std::string message = __be_vformat(fmt, args);
    va_end(args);
    quit(_fail, message);
}

inline void __be_print_one(const std::string &s) { std::cout << s; }
inline void __be_print_one(const char *s) { std::cout << s; }

template <typename T>
inline void __be_print_one(const T &value) {
    std::cout << value;
}

template <typename T>
inline void __be_print_one(const std::vector<T> &values) {
    for (size_t i = 0; i < values.size(); i++) {
        if (i > 0)
            std::cout << ' ';
        __be_print_one(values[i]);
    }
}

inline void println() { std::cout << std::endl; }

/* Its arguments separated by spaces (a vector's elements too), then a line end; flushed. */
template <typename T, typename... Rest>
inline void println(const T &first, const Rest &...rest) {
    __be_print_one(first);
    using expand = int[];
    (void)expand{0, (std::cout << ' ', __be_print_one(rest), 0)...};
    std::cout << std::endl;
}

/* testlib's random generator (its API; a 48-bit linear congruential generator of our own). */
class random_t {
   public:
    random_t() : seed(3905348978240129619LL) {}

    void setSeed(long long value) { seed = (value ^ 0x5DEECE66DLL) & ((1LL << 48) - 1); }

    void setSeed(int argc, char *argv[]) {
        unsigned long long h = 3905348978240129619ULL;
        for (int i = 1; i < argc; i++)
            for (const char *p = argv[i]; *p; p++)
                h = h * 1000003ULL ^ (unsigned char)*p;
        setSeed((long long)h);
    }

    /* [0, n) */
    int next(int n) {
        if (n <= 0)
            quit(_fail, "random_t::next(int n): n must be positive");
        return (int)(nextBits() % (unsigned long long)n);
    }

    long long next(long long n) {
        if (n <= 0)
            quit(_fail, "random_t::next(long long n): n must be positive");
        return (long long)(nextBits() % (unsigned long long)n);
    }

    unsigned int next(unsigned int n) { return (unsigned int)next((long long)n); }
    unsigned long long next(unsigned long long n) { return nextBits() % n; }
    long next(long n) { return (long)next((long long)n); }

    /* [from, to] */
    int next(int from, int to) { return (int)next((long long)from, (long long)to); }

    long long next(long long from, long long to) {
        if (from > to)
            quit(_fail, "random_t::next(from, to): from must not exceed to");
        unsigned long long span = (unsigned long long)(to - from) + 1ULL;
        return from + (long long)(span == 0 ? nextBits() : nextBits() % span);
    }

    long next(long from, long to) { return (long)next((long long)from, (long long)to); }

    /* [0, 1) */
    double next() { return (double)(nextBits() >> 11) / (double)(1ULL << 53); }

    double next(double n) { return n * next(); }

    double next(double from, double to) { return from + (to - from) * next(); }

    template <typename C>
    typename C::value_type any(const C &c) {
        if (c.empty())
            quit(_fail, "random_t::any(c): c is empty");
        typename C::const_iterator it = c.begin();
        std::advance(it, next((long long)c.size()));
        return *it;
    }

    template <typename I>
    typename std::iterator_traits<I>::value_type any(const I &begin, const I &end) {
        I it = begin;
        std::advance(it, next((long long)std::distance(begin, end)));
        return *it;
    }

    template <typename I>
    void shuffle(I begin, I end) {
        long long n = (long long)std::distance(begin, end);
        for (long long i = n - 1; i > 0; i--)
            std::iter_swap(begin + i, begin + next(i + 1));
    }

    /* The largest of `type` + 1 draws (type > 0) or the smallest of 1 - type (type < 0). */
    int wnext(int n, int type) {
        int value = next(n);
        for (int i = 0; i < std::abs(type); i++) {
            int other = next(n);
            value = type > 0 ? std::max(value, other) : std::min(value, other);
        }
        return value;
    }

   private:
    long long seed;

    unsigned long long nextBits() {
        unsigned long long result = 0;
        for (int part = 0; part < 2; part++) {
            seed = (seed * 0x5DEECE66DLL + 0xBLL) & ((1LL << 48) - 1);
            result = (result << 32) | (unsigned long long)(seed >> 16);
        }
        return result;
    }
};

static random_t rnd;

/* rnd keeps its fixed seed (an interactor's or checker's verdict must not vary between runs). */
inline void __be_register(TTestlibMode mode) { testlibMode = mode; }

/* A checker: `checker INPUT OUTPUT ANSWER [REPORT]`. */
inline void registerTestlibCmd(int argc, char *argv[]) {
    __be_register(_checker);
    if (argc < 4)
        quit(_fail, "Program must be run with the arguments <input-file> <output-file> <answer-file>");
    inf.init(argv[1], _input);
    ouf.init(argv[2], _output);
    ans.init(argv[3], _answer);
}

inline void registerTestlib(int argc, ...) {
    (void)argc;
    quit(_fail, "registerTestlib(argc, ...) is not supported: use registerTestlibCmd");
}

/* An interactor: `interactor INPUT OUTPUT [ANSWER]`; the program's output is our stdin. */
inline void registerInteraction(int argc, char *argv[]) {
    __be_register(_interactor);
    if (argc < 3)
        quit(_fail, "Program must be run with the arguments <input-file> <output-file> [<answer-file>]");
    inf.init(argv[1], _input);
    tout.open(argv[2], std::ios_base::out);
    if (!tout.is_open())
        quit(_fail, std::string("Can not write to the output file ") + argv[2]);
    ouf.initStdin(_output);
    if (argc > 3)
        ans.init(argv[3], _answer);
}

#endif
