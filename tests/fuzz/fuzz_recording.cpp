// libFuzzer target: recordings, which PoolScope opens from anywhere (a colleague's laptop, a
// jump host, a file cut short by a crash). Two ways in: the input as a whole file, checksums
// and all; or the input as a list of records that this harness frames with valid checksums,
// so that the fuzzer reaches the decoders behind them instead of stopping at the CRC.
#include "recording/recordingreader.h"

#include <QBuffer>
#include <QtEndian>

#include <cstddef>
#include <cstdint>

using namespace poolscope;

namespace {

QByteArray framedRecords(const QByteArray &input)
{
    // [type][length u16 LE][body]…
    QByteArray file = recording::fileHeader();
    qsizetype at = 0;
    while (at + 3 <= input.size()) {
        const auto type = recording::RecordType(quint8(input[at]));
        const qsizetype length = qFromLittleEndian<quint16>(input.constData() + at + 1);
        const QByteArray body = input.mid(at + 3, length);
        file += recording::frameRecord(type, body);
        at += 3 + body.size();
    }
    return file;
}

void ignoreMessages(QtMsgType, const QMessageLogContext &, const QString &) {}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    qInstallMessageHandler(ignoreMessages); // qUncompress reports damaged data on every bad input
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArray input(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData((data[0] & 1) ? framedRecords(input) : input);
    buffer->open(QIODevice::ReadOnly);
    QString error;
    std::unique_ptr<Recording> recording = Recording::open(std::move(buffer), &error);
    if (!recording) {
        if (error.isEmpty())
            __builtin_trap(); // a file that does not open must say why
        return 0;
    }
    int decoded = 0;
    for (int t = 0; t < recording->targets().size(); ++t) {
        const RecordedTarget &target = recording->targets()[t];
        for (int i = int(target.samples.size()) - 1; i >= 0 && decoded < 64; --i, ++decoded) {
            if (target.kind == TargetKind::PostgreSQL) {
                Snapshot snapshot;
                recording->snapshotAt(t, i, &snapshot);
            } else {
                BouncerSnapshot snapshot;
                recording->snapshotAt(t, i, &snapshot);
            }
        }
    }
    return 0;
}
