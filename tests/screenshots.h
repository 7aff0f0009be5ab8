#pragma once

// Screenshots of the window drawn offscreen, for a person to look at: into
// $POOLSCOPE_SCREENSHOTS (ctest sets build/<preset>/screenshots), else the test's temporary
// directory. The test prints where each one went.

#include <QDebug>
#include <QDir>
#include <QPixmap>
#include <QTemporaryDir>
#include <QTest>
#include <QWidget>

inline void saveScreenshot(QWidget *widget, const QString &name, const QTemporaryDir &fallback)
{
    QString dir = qEnvironmentVariable("POOLSCOPE_SCREENSHOTS");
    if (dir.isEmpty())
        dir = fallback.filePath(QStringLiteral("screenshots"));
    QDir().mkpath(dir);
    const QString path = dir + u'/' + name + QStringLiteral(".png");
    QTest::qWait(50); // let layouts of a just-shown tab settle
    QVERIFY(widget->grab().save(path));
    qInfo().noquote() << "screenshot:" << path;
}
