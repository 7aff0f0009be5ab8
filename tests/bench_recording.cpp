// The recording size goal: 24 hours at 1 s with 2,000 sessions under 200 MB on disk, with the
// recorder's memory bounded. Records synthetic activity at several rates of change and prints
// bytes per sample, the projected day, the recorder's memory and the time per sample. Prints;
// never fails on the figures.
#include "recording/recorder.h"
#include "recording/recordingreader.h"
#include "analysis/pipeline.h"
#include "syntheticactivity.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdio>

using namespace poolscope;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int sessions = argc > 1 ? QByteArray(argv[1]).toInt() : 2000;
    const int samples = argc > 2 ? QByteArray(argv[2]).toInt() : 900; // 15 min at 1 s: three keyframes
    QTemporaryDir dir;
    std::printf("recording %d sessions, %d samples at 1 s (keyframe every 300)\n", sessions, samples);
    std::printf("%-44s %12s %14s %12s %12s %12s %13s %10s\n", "activity", "bytes/sample", "24 h projected",
                "recorder mem", "write ms", "seek ms", "keyframe", "delta");
    struct Case
    {
        const char *name;
        double changing;
        double churn;
    };
    const Case cases[] = {{"pool mostly idle: 2 % change a second", 0.02, 0.0005},
                          {"busy: 10 % change a second", 0.10, 0.001},
                          {"very busy: 25 % change a second", 0.25, 0.002},
                          {"incident: 50 % change, 1 % reconnect a second", 0.50, 0.01}};
    for (const Case &c : cases) {
        SyntheticActivity activity(42, {sessions, c.changing, c.churn, 1000});
        // Generated and analysed first, so that only the recorder is timed.
        AnalysisPipeline pipeline(QStringLiteral("db"));
        QList<AnalysedSamplePtr> analysed;
        analysed.reserve(samples);
        for (int i = 0; i < samples; ++i) {
            const Snapshot s = activity.next();
            analysed.append(pipeline.analyseClassified(std::make_shared<Snapshot>(s), s.takenAtMs));
        }
        const QString path = dir.filePath(QStringLiteral("bench.psrec"));
        Recorder recorder;
        QString error;
        if (!recorder.open(path, true, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        const int id = recorder.addTarget(QStringLiteral("db"), TargetKind::PostgreSQL);
        qint64 peakMemory = 0;
        QElapsedTimer timer;
        timer.start();
        for (const AnalysedSamplePtr &sample : std::as_const(analysed)) {
            recorder.append(id, *sample);
            peakMemory = qMax(peakMemory, recorder.memoryBytes());
        }
        const double writeMs = double(timer.nsecsElapsed()) / 1e6 / samples;
        recorder.close();
        const qint64 bytes = QFileInfo(path).size();
        // The worst seek: the sample just before a keyframe, from a cold reader.
        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        timer.restart();
        Snapshot last;
        recording->snapshotAt(0, qMin(samples, 300) - 1, &last);
        const double seekMs = double(timer.nsecsElapsed()) / 1e6;
        const double perSample = double(bytes) / samples;
        // Where the bytes go: keyframes against deltas.
        QFile file(path);
        file.open(QIODevice::ReadOnly);
        recording::RecordScanner scanner(&file);
        recording::RecordScanner::Record record;
        qint64 keyframeBytes = 0, keyframes = 0, deltaBytes = 0, deltas = 0;
        while (scanner.next(&record)) {
            if (record.type == recording::RecordType::Keyframe)
                keyframeBytes += record.body.size(), ++keyframes;
            else if (record.type == recording::RecordType::Delta)
                deltaBytes += record.body.size(), ++deltas;
        }
        std::printf("%-44s %12.0f %11.0f MB %9.1f MB %12.2f %12.1f %10.0f KB %10.0f\n", c.name, perSample,
                    perSample * 86400 / 1e6, peakMemory / 1e6, writeMs, seekMs,
                    keyframes ? keyframeBytes / 1e3 / keyframes : 0.0, deltas ? double(deltaBytes) / deltas : 0.0);
    }
    return 0;
}
