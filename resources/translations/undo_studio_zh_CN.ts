<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
  <context>
    <name>BranchesController</name>
    <message>
      <source>%1 s</source>
      <translation>%1 秒</translation>
    </message>
    <message>
      <source>%1 min</source>
      <translation>%1 分钟</translation>
    </message>
    <message>
      <source>%1 h</source>
      <translation>%1 小时</translation>
    </message>
    <message>
      <source>On this device: about %1, peak memory about %2 GB.</source>
      <translation>在此设备上：约 %1，内存峰值约 %2 GB。</translation>
    </message>
    <message>
      <source>That is more than 30 minutes.</source>
      <translation>这将超过 30 分钟。</translation>
    </message>
    <message>
      <source>That is more memory than this device has free (%1 GB).</source>
      <translation>这超出了此设备的可用内存（%1 GB）。</translation>
    </message>
    <message>
      <source>The CPU hybrid (painted in-betweens, %1 steps at %2 px) would take about %3.</source>
      <translation>CPU 混合模式（绘制中间帧，%2 像素下 %1 步）约需 %3。</translation>
    </message>
    <message>
      <source>%1 (CPU hybrid)</source>
      <translation>%1（CPU 混合模式）</translation>
    </message>
    <message>
      <source>Recorded: %1</source>
      <translation>录制：%1</translation>
    </message>
    <message>
      <source>%1: %2</source>
      <translation>%1：%2</translation>
    </message>
    <message>
      <source>on</source>
      <translation>开</translation>
    </message>
    <message>
      <source>off</source>
      <translation>关</translation>
    </message>
    <message>
      <source>This engine is not installed.</source>
      <translation>此引擎未安装。</translation>
    </message>
    <message>
      <source>seed %1</source>
      <translation>种子 %1</translation>
    </message>
    <message>
      <source>fork @%1</source>
      <translation>分叉 @%1</translation>
    </message>
    <message>
      <source>Rename branch</source>
      <translation>重命名分支</translation>
    </message>
    <message>
      <source>Name</source>
      <translation>名称</translation>
    </message>
    <message>
      <source>your own</source>
      <translation>自定</translation>
    </message>
  </context>
  <context>
    <name>BranchesPanel</name>
    <message>
      <source>Use the CPU hybrid</source>
      <translation>使用 CPU 混合模式</translation>
    </message>
    <message>
      <source>A new branch with painted in-between frames and the CPU's fewer steps and smaller size.</source>
      <translation>新建一个分支：绘制中间帧，并使用 CPU 的较少步数和较小尺寸。</translation>
    </message>
    <message>
      <source>Tick 2–4 branches to compare them.</source>
      <translation>勾选 2–4 个分支进行对比。</translation>
    </message>
    <message>
      <source>Duplicate with a new seed</source>
      <translation>用新种子复制</translation>
    </message>
    <message>
      <source>Fork here: redo differently from the current step</source>
      <translation>从此处分叉：从当前步骤重新演绎</translation>
    </message>
    <message>
      <source>Rename</source>
      <translation>重命名</translation>
    </message>
    <message>
      <source>Delete</source>
      <translation>删除</translation>
    </message>
    <message>
      <source>Compare</source>
      <translation>对比</translation>
    </message>
    <message>
      <source>New branch</source>
      <translation>新建分支</translation>
    </message>
    <message>
      <source>Create branch</source>
      <translation>创建分支</translation>
    </message>
    <message>
      <source>Engine</source>
      <translation>引擎</translation>
    </message>
    <message>
      <source>Seed</source>
      <translation>种子</translation>
    </message>
  </context>
  <context>
    <name>CompareView</name>
    <message>
      <source>Side by side</source>
      <translation>并排</translation>
    </message>
    <message>
      <source>Wipe (first two)</source>
      <translation>擦除对比（前两个）</translation>
    </message>
    <message>
      <source>Onion skin (first two)</source>
      <translation>洋葱皮（前两个）</translation>
    </message>
    <message>
      <source>Export comparison…</source>
      <translation>导出对比…</translation>
    </message>
    <message>
      <source>Back to viewer</source>
      <translation>返回查看器</translation>
    </message>
    <message>
      <source>Mode</source>
      <translation>模式</translation>
    </message>
  </context>
  <context>
    <name>Document</name>
    <message>
      <source>Seed 0</source>
      <translation>种子 0</translation>
    </message>
    <message>
      <source>Seed %1</source>
      <translation>种子 %1</translation>
    </message>
    <message>
      <source>%1 fork @%2</source>
      <translation>%1 分叉 @%2</translation>
    </message>
  </context>
  <context>
    <name>ExportController</name>
    <message>
      <source>Exporting…</source>
      <translation>正在导出…</translation>
    </message>
    <message>
      <source>Saved %1 (%2 frames, %3 s).</source>
      <translation>已保存 %1（%2 帧，%3 秒）。</translation>
    </message>
    <message>
      <source>Export cancelled. Nothing was written.</source>
      <translation>导出已取消，未写入任何文件。</translation>
    </message>
    <message>
      <source>Large GIF</source>
      <translation>GIF 文件较大</translation>
    </message>
    <message>
      <source>This GIF will be about %1 MB. Files this large load slowly and many sites refuse them; a shorter length, a smaller size, MP4 or WebP make far smaller files.

Export the GIF anyway?</source>
      <translation>这个 GIF 约为 %1 MB。这么大的文件加载缓慢，许多网站也不接受；缩短时长、减小尺寸，或改用 MP4 或 WebP，文件会小得多。

仍要导出 GIF 吗？</translation>
    </message>
  </context>
  <context>
    <name>ExportDialog</name>
    <message>
      <source> s</source>
      <translation> 秒</translation>
    </message>
    <message>
      <source>Export process</source>
      <translation>导出过程</translation>
    </message>
    <message>
      <source>PNG sequence (folder)</source>
      <translation>PNG 序列（文件夹）</translation>
    </message>
    <message>
      <source>Browse…</source>
      <translation>浏览…</translation>
    </message>
    <message>
      <source>from step</source>
      <translation>从步骤</translation>
    </message>
    <message>
      <source>to step</source>
      <translation>到步骤</translation>
    </message>
    <message>
      <source>Full (every step)</source>
      <translation>完整（每一步）</translation>
    </message>
    <message>
      <source>%1 seconds</source>
      <translation>%1 秒</translation>
    </message>
    <message>
      <source>Original</source>
      <translation>原始尺寸</translation>
    </message>
    <message>
      <source>Show the finished artwork first</source>
      <translation>先展示完成的作品</translation>
    </message>
    <message>
      <source>Label frames "AI-simulated process"</source>
      <translation>在画面上标注“AI 模拟过程”</translation>
    </message>
    <message>
      <source>Export</source>
      <translation>导出</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <source>Close</source>
      <translation>关闭</translation>
    </message>
    <message>
      <source>Format</source>
      <translation>格式</translation>
    </message>
    <message>
      <source>Save to</source>
      <translation>保存到</translation>
    </message>
    <message>
      <source>Range</source>
      <translation>范围</translation>
    </message>
    <message>
      <source>Frame rate</source>
      <translation>帧率</translation>
    </message>
    <message>
      <source>Length</source>
      <translation>时长</translation>
    </message>
    <message>
      <source>Size</source>
      <translation>尺寸</translation>
    </message>
    <message>
      <source>Hold last frame</source>
      <translation>末帧停留</translation>
    </message>
    <message>
      <source>Choose a folder</source>
      <translation>选择文件夹</translation>
    </message>
    <message>
      <source>Export to</source>
      <translation>导出到</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <source>Compare with recording</source>
      <translation>与录制比较</translation>
    </message>
    <message>
      <source>Branches</source>
      <translation>分支</translation>
    </message>
    <message>
      <source>Main</source>
      <translation>主工具栏</translation>
    </message>
    <message>
      <source>Start</source>
      <translation>开始</translation>
    </message>
    <message>
      <source>Open…</source>
      <translation>打开…</translation>
    </message>
    <message>
      <source>Save</source>
      <translation>保存</translation>
    </message>
    <message>
      <source>Export…</source>
      <translation>导出…</translation>
    </message>
    <message>
      <source>Compare</source>
      <translation>对比</translation>
    </message>
    <message>
      <source>Fit</source>
      <translation>适应窗口</translation>
    </message>
    <message>
      <source>100 %</source>
      <translation>100 %</translation>
    </message>
    <message>
      <source>Save as…</source>
      <translation>另存为…</translation>
    </message>
    <message>
      <source>Layers</source>
      <translation>图层</translation>
    </message>
  </context>
  <context>
    <name>StartPage</name>
    <message>
      <source>Undo Studio</source>
      <translation>Undo Studio</translation>
    </message>
    <message>
      <source>See how a finished artwork could have been painted, step by step.</source>
      <translation>一步一步地看看一幅完成的作品可能是怎样画出来的。</translation>
    </message>
    <message>
      <source>Open artwork…</source>
      <translation>打开作品…</translation>
    </message>
    <message>
      <source>Open project…</source>
      <translation>打开项目…</translation>
    </message>
    <message>
      <source>Back to the open artwork</source>
      <translation>返回已打开的作品</translation>
    </message>
    <message>
      <source>Drop a PNG, JPEG, WebP, TIFF, PSD or ORA file anywhere on this window</source>
      <translation>将 PNG、JPEG、WebP、TIFF、PSD 或 ORA 文件拖放到窗口任意位置</translation>
    </message>
    <message>
      <source>Sample artworks</source>
      <translation>示例作品</translation>
    </message>
    <message>
      <source>Recent projects</source>
      <translation>最近的项目</translation>
    </message>
    <message>
      <source>No recent projects yet.</source>
      <translation>还没有最近的项目。</translation>
    </message>
    <message>
      <source>Engines</source>
      <translation>引擎</translation>
    </message>
    <message>
      <source>Compute</source>
      <translation>计算设备</translation>
    </message>
    <message>
      <source>Device: checking…</source>
      <translation>设备：检测中…</translation>
    </message>
    <message>
      <source>Show models folder</source>
      <translation>打开模型文件夹</translation>
    </message>
    <message>
      <source>No sample artworks found.</source>
      <translation>未找到示例作品。</translation>
    </message>
    <message>
      <source>ready</source>
      <translation>就绪</translation>
    </message>
    <message>
      <source>not ready</source>
      <translation>未就绪</translation>
    </message>
    <message>
      <source>Models folder: %1</source>
      <translation>模型文件夹：%1</translation>
    </message>
  </context>
  <context>
    <name>StatusBar</name>
    <message>
      <source>Cancel running work</source>
      <translation>取消正在运行的任务</translation>
    </message>
    <message>
      <source>Queue: %1</source>
      <translation>队列：%1</translation>
    </message>
    <message>
      <source>Cache: %1 / %2 MB</source>
      <translation>缓存：%1 / %2 MB</translation>
    </message>
    <message>
      <source>Saving project…</source>
      <translation>正在保存项目…</translation>
    </message>
    <message>
      <source>Saving project: %1 / %2 frames</source>
      <translation>正在保存项目：%1 / %2 帧</translation>
    </message>
    <message>
      <source>Frames are being written to the project file.</source>
      <translation>正在把帧写入项目文件。</translation>
    </message>
    <message>
      <source>Not saved: %1 frames</source>
      <translation>未保存：%1 帧</translation>
    </message>
    <message>
      <source>These frames are not in the project file yet (steps %1). They are kept and written as soon as the file can take them.</source>
      <translation>这些帧尚未写入项目文件（步骤 %1）。它们会被保留，并在文件可以写入时立即写入。</translation>
    </message>
  </context>
  <context>
    <name>TimelineTrack</name>
    <message>
      <source>sketch</source>
      <translation>草图</translation>
    </message>
    <message>
      <source>ink</source>
      <translation>线稿</translation>
    </message>
    <message>
      <source>flats</source>
      <translation>平涂</translation>
    </message>
    <message>
      <source>shading</source>
      <translation>阴影</translation>
    </message>
    <message>
      <source>details</source>
      <translation>细节</translation>
    </message>
    <message>
      <source>block-in</source>
      <translation>铺大色</translation>
    </message>
    <message>
      <source>forms</source>
      <translation>塑形</translation>
    </message>
    <message>
      <source>refinement</source>
      <translation>深入刻画</translation>
    </message>
    <message>
      <source>drawing</source>
      <translation>起稿</translation>
    </message>
    <message>
      <source>washes</source>
      <translation>铺水色</translation>
    </message>
    <message>
      <source>glazes</source>
      <translation>罩染</translation>
    </message>
    <message>
      <source>definition</source>
      <translation>收形</translation>
    </message>
    <message>
      <source>Step %1</source>
      <translation>第 %1 步</translation>
    </message>
    <message>
      <source>stage: %1</source>
      <translation>阶段：%1</translation>
    </message>
    <message>
      <source>keyframe</source>
      <translation>关键帧</translation>
    </message>
    <message>
      <source>frame: exact</source>
      <translation>帧：精确</translation>
    </message>
    <message>
      <source>frame: interpolated</source>
      <translation>帧：插值</translation>
    </message>
    <message>
      <source>frame: preview</source>
      <translation>帧：预览</translation>
    </message>
    <message>
      <source>no frame yet</source>
      <translation>尚无帧</translation>
    </message>
    <message>
      <source>Bands: the stages of the painting process</source>
      <translation>色带：绘画过程的各个阶段</translation>
    </message>
    <message>
      <source>Triangles: keyframes (Shift+Left / Shift+Right jump)</source>
      <translation>三角形：关键帧（Shift+Left / Shift+Right 跳转）</translation>
    </message>
    <message>
      <source>Line: how much the canvas changes at each step</source>
      <translation>曲线：每一步画布变化的多少</translation>
    </message>
    <message>
      <source>Bottom strip: steps with frames (exact, interpolated, preview)</source>
      <translation>底部条：已有帧的步骤（精确、插值、预览）</translation>
    </message>
    <message>
      <source>Red line: the step shown. Click or drag to move it.</source>
      <translation>红线：当前显示的步骤。点击或拖动以移动它。</translation>
    </message>
  </context>
  <context>
    <name>TimelineView</name>
    <message>
      <source>Blank canvas (Home)</source>
      <translation>空白画布（Home）</translation>
    </message>
    <message>
      <source>Previous keyframe (Shift+Left)</source>
      <translation>上一个关键帧（Shift+Left）</translation>
    </message>
    <message>
      <source>Step back (Left)</source>
      <translation>后退一步（Left）</translation>
    </message>
    <message>
      <source>Play / pause (Space)</source>
      <translation>播放 / 暂停（空格）</translation>
    </message>
    <message>
      <source>Step forward (Right)</source>
      <translation>前进一步（Right）</translation>
    </message>
    <message>
      <source>Next keyframe (Shift+Right)</source>
      <translation>下一个关键帧（Shift+Right）</translation>
    </message>
    <message>
      <source>Finished artwork (End)</source>
      <translation>完成的作品（End）</translation>
    </message>
    <message>
      <source>Playback speed</source>
      <translation>播放速度</translation>
    </message>
    <message>
      <source>Loop</source>
      <translation>循环</translation>
    </message>
    <message>
      <source>Speed</source>
      <translation>速度</translation>
    </message>
    <message>
      <source>exact</source>
      <translation>精确</translation>
    </message>
    <message>
      <source>interpolated</source>
      <translation>插值</translation>
    </message>
    <message>
      <source>preview</source>
      <translation>预览</translation>
    </message>
    <message>
      <source>preview of step %1</source>
      <translation>预览（第 %1 步的画面）</translation>
    </message>
    <message>
      <source>waiting…</source>
      <translation>等待中…</translation>
    </message>
    <message>
      <source>Step %1 · %2 % painted</source>
      <translation>第 %1 步 · 已绘制 %2 %</translation>
    </message>
    <message>
      <source>Step %1</source>
      <translation>第 %1 步</translation>
    </message>
  </context>
  <context>
    <name>ViewerController</name>
    <message>
      <source>This branch could not be generated:</source>
      <translation>无法生成此分支：</translation>
    </message>
    <message>
      <source>Reconstructing the painting process…</source>
      <translation>正在重建绘画过程…</translation>
    </message>
  </context>
  <context>
    <name>Shortcuts</name>
    <message>
      <source>Play or pause</source>
      <translation>播放或暂停</translation>
    </message>
    <message>
      <source>One step back (towards the first stroke)</source>
      <translation>后退一步（朝第一笔）</translation>
    </message>
    <message>
      <source>One step on (towards the finished artwork)</source>
      <translation>前进一步（朝完成的作品）</translation>
    </message>
    <message>
      <source>Previous keyframe</source>
      <translation>上一个关键帧</translation>
    </message>
    <message>
      <source>Next keyframe</source>
      <translation>下一个关键帧</translation>
    </message>
    <message>
      <source>First stroke (step 999)</source>
      <translation>第一笔（第 999 步）</translation>
    </message>
    <message>
      <source>Finished artwork (step 0)</source>
      <translation>完成的作品（第 0 步）</translation>
    </message>
    <message>
      <source>Language (applies after a restart)</source>
      <translation>语言（重启后生效）</translation>
    </message>
    <message>
      <source>The language changes when Undo Studio is restarted.</source>
      <translation>重新启动 Undo Studio 后界面语言才会切换。</translation>
    </message>
  </context>
  <context>
    <name>StartController</name>
    <message>
      <source>Device: %1</source>
      <translation>设备：%1</translation>
    </message>
    <message>
      <source>%1 · %2 GB, %3 GB free</source>
      <translation>%1 · 共 %2 GB，可用 %3 GB</translation>
    </message>
    <message>
      <source>Missing or unusable model folders: %1</source>
      <translation>缺失或不可用的模型文件夹：%1</translation>
    </message>
    <message>
      <source>Models folder: %1</source>
      <translation>模型文件夹：%1</translation>
    </message>
    <message>
      <source>This folder does not exist yet: create it, or choose another models folder.</source>
      <translation>该文件夹尚不存在：请创建它，或选择其他模型文件夹。</translation>
    </message>
    <message>
      <source>Download the folders from %1 into it, or run %2 (see %3).</source>
      <translation>从 %1 下载这些文件夹并放入其中，或运行 %2（参见 %3）。</translation>
    </message>
    <message>
      <source>Without the WD14 tagger files, type a prompt yourself.</source>
      <translation>缺少 WD14 标注器文件时，请自行输入提示词。</translation>
    </message>
    <message>
      <source>Without the multi-frame model, only keyframes are generated.</source>
      <translation>缺少多帧模型时，只生成关键帧。</translation>
    </message>
  </context>
  <context>
    <name>OpenSave</name>
    <message>
      <source>%1 is an animation.</source>
      <translation>%1 是一个动画。</translation>
    </message>
    <message>
      <source>Add it as a recording of the open artwork, or open it as a new artwork?</source>
      <translation>将其添加为当前作品的录制，还是作为新作品打开？</translation>
    </message>
    <message>
      <source>Add as recording</source>
      <translation>添加为录制</translation>
    </message>
    <message>
      <source>Open as artwork</source>
      <translation>作为作品打开</translation>
    </message>
    <message>
      <source>Open an artwork first, then add its recording.</source>
      <translation>请先打开作品，再添加它的录制。</translation>
    </message>
    <message>
      <source>Add recording</source>
      <translation>添加录制</translation>
    </message>
    <message>
      <source>Time-lapse recordings</source>
      <translation>延时录制</translation>
    </message>
    <message>
      <source>Open artwork or project</source>
      <translation>打开作品或项目</translation>
    </message>
    <message>
      <source>Images and projects</source>
      <translation>图像和项目</translation>
    </message>
    <message>
      <source>Open project</source>
      <translation>打开项目</translation>
    </message>
    <message>
      <source>Opening %1…</source>
      <translation>正在打开 %1…</translation>
    </message>
    <message>
      <source>Save the reconstruction before closing?</source>
      <translation>关闭前保存重建结果吗？</translation>
    </message>
    <message>
      <source>Generated frames and branches are kept in a project file.</source>
      <translation>生成的帧和分支会保存在项目文件中。</translation>
    </message>
    <message>
      <source>Save project</source>
      <translation>保存项目</translation>
    </message>
    <message>
      <source>(read-only)</source>
      <translation>（只读）</translation>
    </message>
    <message>
      <source>Opened read-only: use Save As to keep your changes.</source>
      <translation>已以只读方式打开：请使用“另存为”保留你的更改。</translation>
    </message>
    <message>
      <source>%1 looks incomplete: it has no branches. If it was copied while it was open, copy the file ending in -wal beside it too.</source>
      <translation>%1 似乎不完整：其中没有分支。如果它是在打开状态下被复制的，请把以 -wal 结尾的文件一并复制到它旁边。</translation>
    </message>
    <message>
      <source>%1 opened without its layers.</source>
      <translation>%1 已打开，但没有图层。</translation>
    </message>
    <message>
      <source>The project file %1 was moved or deleted.</source>
      <translation>项目文件 %1 已被移动或删除。</translation>
    </message>
    <message>
      <source>Your work is still open here. Save it with Save As, or it is lost when you close it.</source>
      <translation>你的工作仍在此处打开。请用“另存为”保存，否则关闭后将会丢失。</translation>
    </message>
    <message>
      <source>Save As…</source>
      <translation>另存为…</translation>
    </message>
    <message>
      <source>Later</source>
      <translation>稍后</translation>
    </message>
  </context>
  <context>
    <name>ProjectController</name>
    <message>
      <source>Some frames stored in %1 were damaged; they are being made again.</source>
      <translation>%1 中保存的部分帧已损坏，正在重新生成。</translation>
    </message>
  </context>
  <context>
    <name>CompareExport</name>
    <message>
      <source>Create a second branch to compare (Duplicate with a new seed).</source>
      <translation>请先创建第二个分支再对比（用新种子复制）。</translation>
    </message>
    <message>
      <source>Export comparison</source>
      <translation>导出对比</translation>
    </message>
    <message>
      <source>Export process</source>
      <translation>导出过程</translation>
    </message>
  </context>
  <context>
    <name>Engine</name>
    <message>
      <source>Estimating the time</source>
      <translation>正在估算时间</translation>
    </message>
    <message>
      <source>Default: 12 on a CPU (the fast hybrid), 50 on a GPU (the reference).</source>
      <translation>默认：CPU 上 12（快速混合模式），GPU 上 50（参考值）。</translation>
    </message>
    <message>
      <source>Resolution the models run at; frames are resized to the artwork's size. Default: 384 on a CPU, 640 on a GPU.</source>
      <translation>模型运行的分辨率；帧会缩放回作品的尺寸。默认：CPU 上 384，GPU 上 640。</translation>
    </message>
    <message>
      <source>Trying process %1</source>
      <translation>正在尝试第 %1 个过程</translation>
    </message>
    <message>
      <source>Fitted</source>
      <translation>已完成匹配</translation>
    </message>
    <message>
      <source>Scoring branch %1/%2</source>
      <translation>正在为分支评分 %1/%2</translation>
    </message>
    <message>
      <source>Scored</source>
      <translation>已评分</translation>
    </message>
    <message>
      <source>Recorded (real time-lapse)</source>
      <translation>录制（真实延时）</translation>
    </message>
    <message>
      <source>Recording</source>
      <translation>录制</translation>
    </message>
    <message>
      <source>Start (s or frame)</source>
      <translation>开始（秒或帧）</translation>
    </message>
    <message>
      <source>End (s or frame)</source>
      <translation>结束（秒或帧）</translation>
    </message>
    <message>
      <source>A video, a folder of frames or a .procreate file.</source>
      <translation>视频、帧图片文件夹或 .procreate 文件。</translation>
    </message>
    <message>
      <source>Where painting starts; -1: as found.</source>
      <translation>绘画开始的位置；-1：自动检测。</translation>
    </message>
    <message>
      <source>Where painting ends; -1: as found.</source>
      <translation>绘画结束的位置；-1：自动检测。</translation>
    </message>
    <message>
      <source>Reading the recording</source>
      <translation>正在读取录制</translation>
    </message>
    <message>
      <source>Sampling the recording</source>
      <translation>正在采样录制</translation>
    </message>
    <message>
      <source>Reading the frames</source>
      <translation>正在读取帧</translation>
    </message>
    <message>
      <source>Finding the artwork in the recording</source>
      <translation>正在录制中定位作品</translation>
    </message>
    <message>
      <source>Registering frames</source>
      <translation>正在对齐帧</translation>
    </message>
    <message>
      <source>Aligned</source>
      <translation>已对齐</translation>
    </message>
    <message>
      <source>Procedural (no weights)</source>
      <translation>程序化（无需模型）</translation>
    </message>
    <message>
      <source>Paints-UNDO</source>
      <translation>Paints-UNDO</translation>
    </message>
    <message>
      <source>In-between frames</source>
      <translation>中间帧</translation>
    </message>
    <message>
      <source>Tiled keyframe decode</source>
      <translation>关键帧分块解码</translation>
    </message>
    <message>
      <source>on: decode keyframes in overlapping tiles (less memory, slightly different pixels); off: in one piece; auto: tiles only above 768 px on a GPU whose free memory is too small for one piece.</source>
      <translation>on：以相互重叠的分块解码关键帧（占用内存更少，像素略有不同）；off：整张一次解码；auto：仅在 GPU 上、关键帧大于 768 像素且空闲显存不足以整张解码时才分块。</translation>
    </message>
    <message>
      <source>on</source>
      <translation>开</translation>
    </message>
    <message>
      <source>off</source>
      <translation>关</translation>
    </message>
    <message>
      <source>model: the multi-frame model (minutes per segment without a GPU); painted: the keyframes painted over in stroke and region order (seconds); auto: model on a GPU, painted on a CPU.</source>
      <translation>model：多帧模型（无 GPU 时每段需数分钟）；painted：按笔画和区域顺序在关键帧之间绘制（数秒）；auto：GPU 上用模型，CPU 上用绘制。</translation>
    </message>
    <message>
      <source>model</source>
      <translation>模型</translation>
    </message>
    <message>
      <source>painted</source>
      <translation>绘制</translation>
    </message>
    <message>
      <source>Stage timing</source>
      <translation>阶段节奏</translation>
    </message>
    <message>
      <source>balanced</source>
      <translation>均衡</translation>
    </message>
    <message>
      <source>long-sketch</source>
      <translation>长草稿</translation>
    </message>
    <message>
      <source>quick-sketch</source>
      <translation>快速草稿</translation>
    </message>
    <message>
      <source>detailed-finish</source>
      <translation>精细收尾</translation>
    </message>
    <message>
      <source>How the undo steps are shared between sketch, ink, flats, shading and details.</source>
      <translation>撤销步骤在草稿、线稿、平涂、明暗和细节之间的分配方式。</translation>
    </message>
    <message>
      <source>Colouring order</source>
      <translation>上色顺序</translation>
    </message>
    <message>
      <source>auto</source>
      <translation>自动</translation>
    </message>
    <message>
      <source>background-first</source>
      <translation>先背景</translation>
    </message>
    <message>
      <source>subject-first</source>
      <translation>先主体</translation>
    </message>
    <message>
      <source>Fill the background or the subject first; auto lets the seed decide.</source>
      <translation>先填背景还是先填主体；自动时由种子决定。</translation>
    </message>
    <message>
      <source>Layers (the file&apos;s own layers)</source>
      <translation>图层（文件自身的图层）</translation>
    </message>
    <message>
      <source>Background</source>
      <translation>背景</translation>
    </message>
    <message>
      <source>early</source>
      <translation>靠前</translation>
    </message>
    <message>
      <source>late</source>
      <translation>靠后</translation>
    </message>
    <message>
      <source>Paint the background layers early or late; auto lets the seed decide.</source>
      <translation>背景图层先画还是后画；自动时由种子决定。</translation>
    </message>
    <message>
      <source>Reading the layers</source>
      <translation>正在读取图层</translation>
    </message>
    <message>
      <source>Compositing the layers</source>
      <translation>正在合成图层</translation>
    </message>
    <message>
      <source>Sketch density</source>
      <translation>草稿密度</translation>
    </message>
    <message>
      <source>How much pencil work: searching lines and construction shapes.</source>
      <translation>铅笔草稿的多少：试探线条和结构辅助形。</translation>
    </message>
    <message>
      <source>Prompt</source>
      <translation>提示词</translation>
    </message>
    <message>
      <source>Describes the artwork. Empty: generated by the tagger.</source>
      <translation>描述作品。留空时由标签器生成。</translation>
    </message>
    <message>
      <source>Generate prompt</source>
      <translation>生成提示词</translation>
    </message>
    <message>
      <source>Tag the artwork with WD14 when the prompt is empty.</source>
      <translation>提示词为空时用 WD14 为作品打标签。</translation>
    </message>
    <message>
      <source>Negative prompt</source>
      <translation>负面提示词</translation>
    </message>
    <message>
      <source>Sampler steps</source>
      <translation>采样步数</translation>
    </message>
    <message>
      <source>Guidance (CFG)</source>
      <translation>引导强度（CFG）</translation>
    </message>
    <message>
      <source>Keyframe steps</source>
      <translation>关键帧步骤</translation>
    </message>
    <message>
      <source>Undo steps rendered as keyframes (0 is the artwork, 999 the first stroke).</source>
      <translation>作为关键帧渲染的撤销步骤（0 为完成的作品，999 为第一笔）。</translation>
    </message>
    <message>
      <source>Working size (long side)</source>
      <translation>工作尺寸（长边）</translation>
    </message>
    <message>
      <source>Resolution the models run at; frames are resized to the artwork's size.</source>
      <translation>模型运行的分辨率；帧会缩放回作品尺寸。</translation>
    </message>
    <message>
      <source>Video seed</source>
      <translation>视频种子</translation>
    </message>
    <message>
      <source>Seed of the in-between frames; -1 uses the branch seed. Changing it keeps the keyframes.</source>
      <translation>中间帧的种子；-1 表示使用分支种子。修改它不会重新生成关键帧。</translation>
    </message>
    <message>
      <source>Video sampler steps</source>
      <translation>视频采样步数</translation>
    </message>
    <message>
      <source>Video guidance (CFG)</source>
      <translation>视频引导强度（CFG）</translation>
    </message>
    <message>
      <source>Model files are missing or unusable</source>
      <translation>模型文件缺失或无法使用</translation>
    </message>
    <message>
      <source>cat window</source>
      <translation>窗边的猫</translation>
    </message>
    <message>
      <source>lighthouse</source>
      <translation>灯塔</translation>
    </message>
    <message>
      <source>landscape</source>
      <translation>风景</translation>
    </message>
    <message>
      <source>portrait</source>
      <translation>肖像</translation>
    </message>
    <message>
      <source>Finding line art</source>
      <translation>正在识别线稿</translation>
    </message>
    <message>
      <source>Finding colour regions</source>
      <translation>正在识别色块区域</translation>
    </message>
    <message>
      <source>Measuring regions</source>
      <translation>正在测量区域</translation>
    </message>
    <message>
      <source>Separating shading from details</source>
      <translation>正在分离阴影与细节</translation>
    </message>
    <message>
      <source>Analysis done</source>
      <translation>分析完成</translation>
    </message>
    <message>
      <source>Analysis reused</source>
      <translation>沿用已有的分析</translation>
    </message>
    <message>
      <source>Sketching</source>
      <translation>正在起稿</translation>
    </message>
    <message>
      <source>Planning the painting order</source>
      <translation>正在规划绘画顺序</translation>
    </message>
    <message>
      <source>Way of working</source>
      <translation>作画方式</translation>
    </message>
    <message>
      <source>line-art</source>
      <translation>先线稿</translation>
    </message>
    <message>
      <source>painterly</source>
      <translation>绘画式</translation>
    </message>
    <message>
      <source>sketch-wash</source>
      <translation>草稿加淡彩</translation>
    </message>
    <message>
      <source>Line art first, painterly (masses back to front, then brushwork) or sketch and wash; auto chooses from the artwork.</source>
      <translation>先线稿、绘画式（由远及近铺大色块，再逐步用笔刻画）或草稿加淡彩；自动时根据作品选择。</translation>
    </message>
    <message>
      <source>Canvas flips</source>
      <translation>画布翻转</translation>
    </message>
    <message>
      <source>Chance that the canvas is shown flipped for a while; 0 turns it off.</source>
      <translation>画布被水平翻转一段时间的概率；0 表示关闭。</translation>
    </message>
    <message>
      <source>Late colour adjustment</source>
      <translation>后期调色</translation>
    </message>
    <message>
      <source>Chance of a colour adjustment over everything near the end; 0 turns it off.</source>
      <translation>接近完成时对整幅画调色的概率；0 表示关闭。</translation>
    </message>
    <message>
      <source>Repainted region</source>
      <translation>重画区域</translation>
    </message>
    <message>
      <source>Chance that a region is roughed in and repainted later; 0 turns it off.</source>
      <translation>某个区域先粗略铺色、之后重画的概率；0 表示关闭。</translation>
    </message>
    <message>
      <source>Replaced background</source>
      <translation>替换背景</translation>
    </message>
    <message>
      <source>Chance that the background is painted early and replaced later; 0 turns it off.</source>
      <translation>背景先画一版、之后被替换的概率；0 表示关闭。</translation>
    </message>
    <message>
      <source>Adding behaviours</source>
      <translation>加入作画习惯</translation>
    </message>
    <message>
      <source>Building layers</source>
      <translation>正在构建图层</translation>
    </message>
    <message>
      <source>Ready</source>
      <translation>就绪</translation>
    </message>
    <message>
      <source>Rendered step %1</source>
      <translation>已渲染第 %1 步</translation>
    </message>
    <message>
      <source>Tagging the artwork</source>
      <translation>正在为作品生成标签</translation>
    </message>
    <message>
      <source>Encoding the artwork and the prompts</source>
      <translation>正在编码作品和提示词</translation>
    </message>
    <message>
      <source>Encoding artwork and prompts</source>
      <translation>正在编码作品和提示词</translation>
    </message>
    <message>
      <source>Sampling step %1/%2</source>
      <translation>采样第 %1/%2 步</translation>
    </message>
    <message>
      <source>Denoising step %1/%2</source>
      <translation>去噪第 %1/%2 步</translation>
    </message>
    <message>
      <source>Decoding keyframes</source>
      <translation>正在解码关键帧</translation>
    </message>
    <message>
      <source>Keyframes done</source>
      <translation>关键帧完成</translation>
    </message>
    <message>
      <source>Multi-frame model loaded</source>
      <translation>多帧模型已加载</translation>
    </message>
    <message>
      <source>Encoding prompt</source>
      <translation>正在编码提示词</translation>
    </message>
    <message>
      <source>Encoding keyframes</source>
      <translation>正在编码关键帧</translation>
    </message>
    <message>
      <source>Decoding frames</source>
      <translation>正在解码帧</translation>
    </message>
    <message>
      <source>Segment done</source>
      <translation>片段完成</translation>
    </message>
    <message>
      <source>Download complete</source>
      <translation>下载完成</translation>
    </message>
    <message>
      <source>Layer classes</source>
      <translation>图层类别</translation>
    </message>
    <message>
      <source>Painting order</source>
      <translation>绘制顺序</translation>
    </message>
    <message>
      <source>Classes you chose for layers.</source>
      <translation>你为图层选择的类别。</translation>
    </message>
    <message>
      <source>The order you chose.</source>
      <translation>你选择的顺序。</translation>
    </message>
    <message>
      <source>Layer stages as keyframes</source>
      <translation>以图层阶段为关键帧</translation>
    </message>
    <message>
      <source>Steps whose keyframes are the layered artwork's own stages.</source>
      <translation>这些步数的关键帧是分层作品自身的各个阶段。</translation>
    </message>
  </context>
  <context>
    <name>Errors</name>
    <message>
      <source>Fit with the procedural engine.</source>
      <translation>请使用程序化引擎进行匹配。</translation>
    </message>
    <message>
      <source>Could not use this recording</source>
      <translation>无法使用此录制</translation>
    </message>
    <message>
      <source>Add the recording again.</source>
      <translation>请重新添加录制。</translation>
    </message>
    <message>
      <source>Add the recording of this artwork.</source>
      <translation>请添加这幅作品的录制。</translation>
    </message>
    <message>
      <source>Use the whole time-lapse, not a single picture.</source>
      <translation>请使用完整的延时录制，而不是单张图片。</translation>
    </message>
    <message>
      <source>Use the time-lapse of the painting, not a still picture.</source>
      <translation>请使用绘画过程的延时录制，而不是静止画面。</translation>
    </message>
    <message>
      <source>Move the end later or the start earlier.</source>
      <translation>请把结束点后移或把开始点前移。</translation>
    </message>
    <message>
      <source>Use the full-size time-lapse.</source>
      <translation>请使用原尺寸的延时录制。</translation>
    </message>
    <message>
      <source>Export the time-lapse at a smaller size (1080p is plenty).</source>
      <translation>请以较小尺寸重新导出延时录制（1080p 足够）。</translation>
    </message>
    <message>
      <source>Choose the recording of this artwork.</source>
      <translation>请选择这幅作品的录制。</translation>
    </message>
    <message>
      <source>Choose the folder your recorder wrote its numbered frames into.</source>
      <translation>请选择录制工具写入编号帧的文件夹。</translation>
    </message>
    <message>
      <source>Export the frames again.</source>
      <translation>请重新导出这些帧。</translation>
    </message>
    <message>
      <source>Choose a video, a folder or a .procreate file.</source>
      <translation>请选择视频、文件夹或 .procreate 文件。</translation>
    </message>
    <message>
      <source>Close other apps.</source>
      <translation>请关闭其他应用。</translation>
    </message>
    <message>
      <source>Check its permissions.</source>
      <translation>请检查它的权限。</translation>
    </message>
    <message>
      <source>Procreate keeps one only while Time-lapse Recording is on (Actions &gt; Video); or export the time-lapse from Procreate as MP4.</source>
      <translation>Procreate 只在开启“缩时录制”（操作 &gt; 视频）时保存录制；也可以在 Procreate 中将缩时视频导出为 MP4。</translation>
    </message>
    <message>
      <source>Export the time-lapse again (MP4, H.264), or use a folder of numbered frames.</source>
      <translation>请重新导出延时录制（MP4，H.264），或使用编号帧文件夹。</translation>
    </message>
    <message>
      <source>Could not open this artwork</source>
      <translation>无法打开这幅作品</translation>
    </message>
    <message>
      <source>Problem with the project file</source>
      <translation>项目文件出错</translation>
    </message>
    <message>
      <source>Export failed</source>
      <translation>导出失败</translation>
    </message>
    <message>
      <source>Problem with the model files</source>
      <translation>模型文件有问题</translation>
    </message>
    <message>
      <source>Problem with the compute device</source>
      <translation>计算设备有问题</translation>
    </message>
    <message>
      <source>The engine could not finish</source>
      <translation>引擎未能完成处理</translation>
    </message>
    <message>
      <source>Cancelled</source>
      <translation>已取消</translation>
    </message>
    <message>
      <source>Something went wrong</source>
      <translation>出现了错误</translation>
    </message>
    <message>
      <source>Open it in your painting app and export it again as PNG.</source>
      <translation>请在绘画软件中打开它，再重新导出为 PNG。</translation>
    </message>
    <message>
      <source>Scale it down in your painting app (about 2048 pixels on the long side is plenty) and try again.</source>
      <translation>请在绘画软件中把它缩小（长边约 2048 像素就足够了）后再试。</translation>
    </message>
    <message>
      <source>Check the file name and folder, then try again.</source>
      <translation>请检查文件名和文件夹，然后再试。</translation>
    </message>
    <message>
      <source>Choose an image file inside it.</source>
      <translation>请选择其中的一个图像文件。</translation>
    </message>
    <message>
      <source>Choose an image file.</source>
      <translation>请选择一个图像文件。</translation>
    </message>
    <message>
      <source>The file was not saved completely; Open it in your painting app and export it again as PNG.</source>
      <translation>文件没有完整保存；请在绘画软件中打开它，再重新导出为 PNG。</translation>
    </message>
    <message>
      <source>Use a smaller image or close other apps.</source>
      <translation>请使用更小的图像，或关闭其他应用程序。</translation>
    </message>
    <message>
      <source>Check the file's permissions.</source>
      <translation>请检查文件的权限。</translation>
    </message>
    <message>
      <source>Merge some layers (or save with a merged image) in your painting app, or export it as PNG.</source>
      <translation>请在绘画软件中合并部分图层（或保存时包含合并图像），或导出为 PNG。</translation>
    </message>
    <message>
      <source>Save it with a merged image (Krita and MyPaint do), merge some layers, or export it as PNG.</source>
      <translation>请保存时包含合并图像（Krita 和 MyPaint 默认如此），或合并部分图层，或导出为 PNG。</translation>
    </message>
    <message>
      <source>Save it again with &apos;Maximize compatibility&apos; on, or export it as PNG.</source>
      <translation>请开启“最大兼容性”后重新保存，或导出为 PNG。</translation>
    </message>
    <message>
      <source>Supported: PNG, JPEG, WebP, BMP, TIFF, PSD/PSB, OpenRaster (.ora) and Krita (.kra). Open it in your painting app and export it again as PNG.</source>
      <translation>支持的格式：PNG、JPEG、WebP、BMP、TIFF、PSD/PSB、OpenRaster（.ora）和 Krita（.kra）。请在绘画软件中打开它，再重新导出为 PNG。</translation>
    </message>
    <message>
      <source>Merge some layers in your painting app, or export it as PNG.</source>
      <translation>请在绘画软件中合并部分图层，或导出为 PNG。</translation>
    </message>
    <message>
      <source>Merge some layers in Krita, or export it as PNG.</source>
      <translation>请在 Krita 中合并部分图层，或导出为 PNG。</translation>
    </message>
    <message>
      <source>Open it in your painting app and save it again, or export it as PNG.</source>
      <translation>请在绘画软件中打开它并重新保存，或导出为 PNG。</translation>
    </message>
    <message>
      <source>Copy or download it again, or open it in your painting app and export it again as PNG.</source>
      <translation>请重新复制或下载它，或在绘画软件中打开它并重新导出为 PNG。</translation>
    </message>
    <message>
      <source>Give a file name such as sheet.png.</source>
      <translation>请提供一个文件名，例如 sheet.png。</translation>
    </message>
    <message>
      <source>Use a .png, .jpg or .webp file name.</source>
      <translation>请使用 .png、.jpg 或 .webp 文件名。</translation>
    </message>
    <message>
      <source>Choose another location.</source>
      <translation>请选择其他位置。</translation>
    </message>
    <message>
      <source>Use .mp4, .webm, .gif or .webp, or a folder name without an extension for a PNG sequence.</source>
      <translation>请使用 .mp4、.webm、.gif 或 .webp；若要导出 PNG 序列，请使用不带扩展名的文件夹名。</translation>
    </message>
    <message>
      <source>Use e.g. 30 fps.</source>
      <translation>例如使用 30 fps。</translation>
    </message>
    <message>
      <source>Use e.g. 1024, or leave it out to keep the artwork's size.</source>
      <translation>例如使用 1024；不填则保持作品原尺寸。</translation>
    </message>
    <message>
      <source>Use full, 15s, 30s or 60s.</source>
      <translation>请使用 full、15s、30s 或 60s。</translation>
    </message>
    <message>
      <source>Generate the process first.</source>
      <translation>请先生成绘画过程。</translation>
    </message>
    <message>
      <source>Pick 2, 3 or 4 branches.</source>
      <translation>请选择 2、3 或 4 个分支。</translation>
    </message>
    <message>
      <source>Choose a new folder name for the PNG sequence.</source>
      <translation>请为 PNG 序列选择一个新的文件夹名。</translation>
    </message>
    <message>
      <source>Use e.g. 1 second.</source>
      <translation>例如使用 1 秒。</translation>
    </message>
    <message>
      <source>Check free disk space and that the folder is writable.</source>
      <translation>请检查磁盘剩余空间，并确认该文件夹可写入。</translation>
    </message>
    <message>
      <source>Check free disk space and try again.</source>
      <translation>请检查磁盘剩余空间后重试。</translation>
    </message>
    <message>
      <source>Export as MP4 instead, or install a PyAV build with libvpx.</source>
      <translation>请改为导出 MP4，或安装带 libvpx 的 PyAV 版本。</translation>
    </message>
    <message>
      <source>Choose a file name for the video.</source>
      <translation>请为视频选择一个文件名。</translation>
    </message>
    <message>
      <source>Choose an empty or new folder for the PNG sequence.</source>
      <translation>请为 PNG 序列选择一个空文件夹或新文件夹。</translation>
    </message>
    <message>
      <source>Choose a smaller export size, or export as MP4.</source>
      <translation>请选择更小的导出尺寸，或导出为 MP4。</translation>
    </message>
    <message>
      <source>Start a new project from the artwork.</source>
      <translation>请从作品新建一个项目。</translation>
    </message>
    <message>
      <source>Restore it from a backup, or start a new project from the artwork.</source>
      <translation>请从备份恢复它，或从作品新建一个项目。</translation>
    </message>
    <message>
      <source>Check the disk and try again.</source>
      <translation>请检查磁盘后再试。</translation>
    </message>
    <message>
      <source>This is a bug; please report it.</source>
      <translation>这是一个程序错误，请报告它。</translation>
    </message>
    <message>
      <source>Regenerate the affected frames.</source>
      <translation>请重新生成受影响的帧。</translation>
    </message>
    <message>
      <source>The file is damaged or was tampered with; regenerate the affected frames.</source>
      <translation>文件已损坏或被篡改；请重新生成受影响的帧。</translation>
    </message>
    <message>
      <source>Choose a folder to save the project in.</source>
      <translation>请选择保存项目的文件夹。</translation>
    </message>
    <message>
      <source>Choose an existing folder.</source>
      <translation>请选择一个已存在的文件夹。</translation>
    </message>
    <message>
      <source>Choose a folder you can write to.</source>
      <translation>请选择一个你有写入权限的文件夹。</translation>
    </message>
    <message>
      <source>Choose another folder.</source>
      <translation>请选择其他文件夹。</translation>
    </message>
    <message>
      <source>Free some space and try again.</source>
      <translation>请释放一些空间后再试。</translation>
    </message>
    <message>
      <source>Close it there to edit it here, or open it read-only and use Save As.</source>
      <translation>请先在那里关闭它再在此处编辑，或以只读方式打开并使用“另存为”。</translation>
    </message>
    <message>
      <source>Choose another name for the .undoproj file.</source>
      <translation>请为 .undoproj 文件换一个名称。</translation>
    </message>
    <message>
      <source>Check the file name and folder.</source>
      <translation>请检查文件名和文件夹。</translation>
    </message>
    <message>
      <source>Choose a .undoproj file.</source>
      <translation>请选择一个 .undoproj 文件。</translation>
    </message>
    <message>
      <source>Copy it to a folder you can write to (or open it read-only and use Save As).</source>
      <translation>请把它复制到你有写入权限的文件夹（或以只读方式打开并使用“另存为”）。</translation>
    </message>
    <message>
      <source>Open a .undoproj file made by Undo Studio, or open the artwork image instead.</source>
      <translation>请打开由 Undo Studio 创建的 .undoproj 文件，或改为打开作品图像。</translation>
    </message>
    <message>
      <source>Update the app to open it.</source>
      <translation>请更新应用后再打开它。</translation>
    </message>
    <message>
      <source>Open it again.</source>
      <translation>请重新打开它。</translation>
    </message>
    <message>
      <source>Use Save As to keep your changes.</source>
      <translation>请使用“另存为”保留你的更改。</translation>
    </message>
    <message>
      <source>Check that the file is readable.</source>
      <translation>请确认该文件可以读取。</translation>
    </message>
    <message>
      <source>Open it from a folder you can write to.</source>
      <translation>请从你有写入权限的文件夹中打开它。</translation>
    </message>
    <message>
      <source>Restore the project from a backup, or start a new project from the artwork image.</source>
      <translation>请从备份恢复项目，或从作品图像新建一个项目。</translation>
    </message>
    <message>
      <source>Put the layered file back where it was, as it was when you saved the project, and open the project again: its layers are read from it then. Or open the layered file itself to start a new project with its layers.</source>
      <translation>请把分层文件放回原来的位置（保持保存项目时的样子），然后再次打开项目：届时会从中重新读取图层。或者直接打开该分层文件，以带图层的方式新建一个项目。</translation>
    </message>
    <message>
      <source>Use one of: auto, cpu, cuda, cuda:N, mps.</source>
      <translation>请使用以下之一：auto、cpu、cuda、cuda:N、mps。</translation>
    </message>
    <message>
      <source>Install a CUDA build of PyTorch and a driver, or choose another device (cpu/auto).</source>
      <translation>请安装支持 CUDA 的 PyTorch 和显卡驱动，或选择其他设备（cpu/auto）。</translation>
    </message>
    <message>
      <source>Use macOS 12.3+ on Apple silicon, or choose cpu.</source>
      <translation>请在 Apple 芯片上使用 macOS 12.3 或更高版本，或选择 cpu。</translation>
    </message>
    <message>
      <source>Try again when it is idle.</source>
      <translation>请在它空闲时再试。</translation>
    </message>
    <message>
      <source>Close other GPU programs, or choose the CPU device.</source>
      <translation>请关闭其他占用 GPU 的程序，或选择 CPU 设备。</translation>
    </message>
    <message>
      <source>For example: 400, 600, 800, 999.</source>
      <translation>例如：400, 600, 800, 999。</translation>
    </message>
    <message>
      <source>Prepare the branch again.</source>
      <translation>请重新准备该分支。</translation>
    </message>
    <message>
      <source>Choose an undo step between 1 and 999.</source>
      <translation>请选择 1 到 999 之间的撤销步数。</translation>
    </message>
    <message>
      <source>Open it as an artwork first.</source>
      <translation>请先将它作为作品打开。</translation>
    </message>
    <message>
      <source>Give whole numbers such as 400, 600, 800.</source>
      <translation>请填写整数，例如 400, 600, 800。</translation>
    </message>
    <message>
      <source>Keyframes still work; in-between frames need the multi-frame pipeline.</source>
      <translation>关键帧仍可使用；中间帧需要多帧流程。</translation>
    </message>
    <message>
      <source>Check the internet connection (or a proxy/HF_TOKEN), or download the files by hand (see `undo-studio models`).</source>
      <translation>请检查网络连接（或代理/HF_TOKEN），或手动下载这些文件（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>Unset HF_HUB_OFFLINE, or download the files by hand (see `undo-studio models`).</source>
      <translation>请取消设置 HF_HUB_OFFLINE，或手动下载这些文件（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>Install it (pip install huggingface_hub) or download the files by hand (see `undo-studio models`).</source>
      <translation>请安装它（pip install huggingface_hub），或手动下载这些文件（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>The repo layout changed; download the folder by hand and convert it to safetensors.</source>
      <translation>仓库的目录结构已变化；请手动下载该文件夹并转换为 safetensors。</translation>
    </message>
    <message>
      <source>Download the tokenizer by hand.</source>
      <translation>请手动下载分词器（tokenizer）。</translation>
    </message>
    <message>
      <source>config.json and the weights must come from the same model; download the component folder again (see `undo-studio models`).</source>
      <translation>config.json 和权重必须来自同一个模型；请重新下载该组件文件夹（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>The file belongs to a different model or is damaged. Download paints_undo_multi_frame again (see `undo-studio models`).</source>
      <translation>该文件属于其他模型或已损坏。请重新下载 paints_undo_multi_frame（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>config.json and model.safetensors are from different models. Download paints_undo_multi_frame again (see `undo-studio models`).</source>
      <translation>config.json 和 model.safetensors 来自不同的模型。请重新下载 paints_undo_multi_frame（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>Download paints_undo_multi_frame again (see `undo-studio models`).</source>
      <translation>请重新下载 paints_undo_multi_frame（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>Check that the folder holds the Paints-UNDO multi-frame unet (diffusers_vdm UNet3DModel) weights.</source>
      <translation>请确认该文件夹中是 Paints-UNDO 多帧 unet（diffusers_vdm UNet3DModel）的权重。</translation>
    </message>
    <message>
      <source>The file may be from another model or damaged; re-download paints_undo_multi_frame/unet.</source>
      <translation>该文件可能来自其他模型或已损坏；请重新下载 paints_undo_multi_frame/unet。</translation>
    </message>
    <message>
      <source>Check unet/config.json against the Paints-UNDO release.</source>
      <translation>请对照 Paints-UNDO 的发布版本检查 unet/config.json。</translation>
    </message>
    <message>
      <source>Run `git lfs pull` in the clone, or download the file itself (see `undo-studio models`).</source>
      <translation>请在克隆的仓库中运行 `git lfs pull`，或直接下载该文件本身（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>Download it again.</source>
      <translation>请重新下载它。</translation>
    </message>
    <message>
      <source>See `undo-studio models` for what to download and where to put it.</source>
      <translation>需要下载什么、放在哪里，请参见 `undo-studio models`。</translation>
    </message>
    <message>
      <source>Delete it and download it again (a download was probably interrupted).</source>
      <translation>请删除它并重新下载（很可能是下载中断了）。</translation>
    </message>
    <message>
      <source>Check the models folder (see `undo-studio models`).</source>
      <translation>请检查模型文件夹（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>Replace it with the downloaded file (see `undo-studio models`).</source>
      <translation>请用下载的文件替换它（参见 `undo-studio models`）。</translation>
    </message>
    <message>
      <source>Check the file and its permissions.</source>
      <translation>请检查该文件及其权限。</translation>
    </message>
    <message>
      <source>Download the published float16/float32 safetensors files of the model.</source>
      <translation>请下载该模型正式发布的 float16/float32 safetensors 文件。</translation>
    </message>
    <message>
      <source>Check the folder and its permissions.</source>
      <translation>请检查该文件夹及其权限。</translation>
    </message>
    <message>
      <source>Download the component folder again (it needs config.json).</source>
      <translation>请重新下载该组件文件夹（其中需要有 config.json）。</translation>
    </message>
    <message>
      <source>Report this bug.</source>
      <translation>请报告此程序错误。</translation>
    </message>
    <message>
      <source>Download the tokenizer folder of the checkpoint again.</source>
      <translation>请重新下载该检查点的分词器（tokenizer）文件夹。</translation>
    </message>
    <message>
      <source>Download paints_undo_single_frame/unet again.</source>
      <translation>请重新下载 paints_undo_single_frame/unet。</translation>
    </message>
    <message>
      <source>Download selected_tags.csv from SmilingWolf/wd-v1-4-moat-tagger-v2 again.</source>
      <translation>请从 SmilingWolf/wd-v1-4-moat-tagger-v2 重新下载 selected_tags.csv。</translation>
    </message>
    <message>
      <source>Use a PNG, JPEG, WebP, BMP or TIFF file.</source>
      <translation>请使用 PNG、JPEG、WebP、BMP 或 TIFF 文件。</translation>
    </message>
    <message>
      <source>The .onnx and .csv come from different taggers; download both from the same repo.</source>
      <translation>.onnx 和 .csv 来自不同的标注模型（tagger）；请从同一个仓库下载这两个文件。</translation>
    </message>
    <message>
      <source>Delete it and download model.onnx again.</source>
      <translation>请删除它并重新下载 model.onnx。</translation>
    </message>
    <message>
      <source>The file belongs to a different model or version; download the files listed by `undo-studio models`.</source>
      <translation>该文件属于其他模型或版本；请下载 `undo-studio models` 列出的文件。</translation>
    </message>
    <message>
      <source>Delete the file and download it again.</source>
      <translation>请删除该文件并重新下载。</translation>
    </message>
    <message>
      <source>Use a value from 0 to 1.</source>
      <translation>请使用 0 到 1 之间的值。</translation>
    </message>
    <message>
      <source>Prepare the branch with the procedural engine first.</source>
      <translation>请先用程序化引擎准备该分支。</translation>
    </message>
    <message>
      <source>Put the layered file back where it was and open the project again, or open the layered file itself; other engines work on the flat artwork.</source>
      <translation>请把分层文件放回原来的位置后重新打开项目，或直接打开该分层文件；其他引擎可处理合并后的作品。</translation>
    </message>
    <message>
      <source>Open a PSD, PSB, OpenRaster (.ora) or Krita (.kra) file, or choose another engine.</source>
      <translation>请打开 PSD、PSB、OpenRaster（.ora）或 Krita（.kra）文件，或选择其他引擎。</translation>
    </message>
    <message>
      <source>Choose auto, early or late.</source>
      <translation>请选择自动、靠前或靠后。</translation>
    </message>
    <message>
      <source>Prepare the branch with the layers engine first.</source>
      <translation>请先用图层引擎准备该分支。</translation>
    </message>
    <message>
      <source>Fork the parent branch again.</source>
      <translation>请从父分支重新分叉。</translation>
    </message>
    <message>
      <source>Fork with the parent's way of working, or start a new branch for another way.</source>
      <translation>请按父分支的作画方式分叉，或为其他作画方式新建分支。</translation>
    </message>
    <message>
      <source>Pick a step in range.</source>
      <translation>请选择范围内的步数。</translation>
    </message>
    <message>
      <source>Ask for at least one frame.</source>
      <translation>请至少请求一帧。</translation>
    </message>
    <message>
      <source>Try another seed or engine.</source>
      <translation>请换一个种子或引擎再试。</translation>
    </message>
    <message>
      <source>The branch is analysed again instead; nothing is lost.</source>
      <translation>将改为重新分析这个分支，不会丢失任何内容。</translation>
    </message>
    <message>
      <source>Check the module:factory name.</source>
      <translation>请检查 模块:工厂 名称。</translation>
    </message>
    <message>
      <source>Use --engine paints-undo.</source>
      <translation>请使用 --engine paints-undo。</translation>
    </message>
    <message>
      <source>Example: --setting order=subject-first</source>
      <translation>示例：--setting order=subject-first</translation>
    </message>
    <message>
      <source>Example: --keyframe 800=my_sketch.png</source>
      <translation>示例：--keyframe 800=my_sketch.png</translation>
    </message>
    <message>
      <source>Check the path after &apos;=&apos;.</source>
      <translation>请检查“=”后面的路径。</translation>
    </message>
    <message>
      <source>Check the path: give files, folders or patterns.</source>
      <translation>请检查路径：提供文件、文件夹或通配模式。</translation>
    </message>
    <message>
      <source>Give image files, folders of images, glob patterns such as &apos;art/*.png&apos;, or a .txt/.csv list.</source>
      <translation>请提供图片文件、图片文件夹、通配模式（如 &apos;art/*.png&apos;）或 .txt/.csv 列表。</translation>
    </message>
    <message>
      <source>Check the pattern and the folder.</source>
      <translation>请检查通配模式和文件夹。</translation>
    </message>
    <message>
      <source>Give a UTF-8 text or CSV file.</source>
      <translation>请提供 UTF-8 编码的文本或 CSV 文件。</translation>
    </message>
    <message>
      <source>Use a new output folder.</source>
      <translation>请使用新的输出文件夹。</translation>
    </message>
    <message>
      <source>Choose another output folder, or remove the damaged manifest to start over.</source>
      <translation>请选择其他输出文件夹，或删除损坏的清单后重新开始。</translation>
    </message>
    <message>
      <source>Choose another --out.</source>
      <translation>请选择其他 --out。</translation>
    </message>
    <message>
      <source>Wait for it to finish (undo-studio batch-status shows it), or choose another --out.</source>
      <translation>请等它完成（undo-studio batch-status 可查看），或选择其他 --out。</translation>
    </message>
    <message>
      <source>Install it with: pip install &apos;undo-studio[cluster]&apos; (or pip install ray).</source>
      <translation>请用以下命令安装：pip install &apos;undo-studio[cluster]&apos;（或 pip install ray）。</translation>
    </message>
    <message>
      <source>Check the address (ray://HOST:10001 or HOST:6379) and that the cluster is running (ray status).</source>
      <translation>请检查地址（ray://HOST:10001 或 HOST:6379），并确认集群正在运行（ray status）。</translation>
    </message>
    <message>
      <source>Change it in the layers panel, or leave the setting out.</source>
      <translation>请在图层面板中更改，或不设置此项。</translation>
    </message>
    <message>
      <source>Put the model files in the models folder (see the start page), or choose another engine.</source>
      <translation>请将模型文件放入模型文件夹（见开始页），或选择其他引擎。</translation>
    </message>
    <message>
      <source>Make the branch again from the layers panel.</source>
      <translation>请在图层面板中重新创建该分支。</translation>
    </message>
    <message>
      <source>Open the layered file (PSD, PSB, ORA or KRA) the branch was made from.</source>
      <translation>请打开创建该分支时所用的分层文件（PSD、PSB、ORA 或 KRA）。</translation>
    </message>
</context>
  <context>
    <name>BranchUndo</name>
    <message>
      <source>New branch “%1”</source>
      <translation>新建分支“%1”</translation>
    </message>
    <message>
      <source>Duplicate as “%1”</source>
      <translation>复制为“%1”</translation>
    </message>
    <message>
      <source>Fork “%1”</source>
      <translation>分叉“%1”</translation>
    </message>
    <message>
      <source>Rename “%1”</source>
      <translation>重命名“%1”</translation>
    </message>
    <message>
      <source>Delete “%1”</source>
      <translation>删除“%1”</translation>
    </message>
  </context>
  <context>
    <name>Menus</name>
    <message>
      <source>Compare with recording</source>
      <translation>与录制比较</translation>
    </message>
    <message>
      <source>Add recording…</source>
      <translation>添加录制…</translation>
    </message>
    <message>
      <source>Preferences…</source>
      <translation>偏好设置…</translation>
    </message>
    <message>
      <source>&amp;File</source>
      <translation>文件(&amp;F)</translation>
    </message>
    <message>
      <source>&amp;View</source>
      <translation>视图(&amp;V)</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>帮助(&amp;H)</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>退出</translation>
    </message>
    <message>
      <source>Branches panel</source>
      <translation>分支面板</translation>
    </message>
    <message>
      <source>Full screen</source>
      <translation>全屏</translation>
    </message>
    <message>
      <source>Keyboard shortcuts</source>
      <translation>键盘快捷键</translation>
    </message>
    <message>
      <source>About Undo Studio</source>
      <translation>关于 Undo Studio</translation>
    </message>
    <message>
      <source>%1 — Ctrl+Z to undo</source>
      <translation>%1 — 按 Ctrl+Z 撤销</translation>
    </message>
    <message>
      <source>&amp;Edit</source>
      <translation>编辑(&amp;E)</translation>
    </message>
    <message>
      <source>Duplicate branch</source>
      <translation>复制分支</translation>
    </message>
    <message>
      <source>Fork here</source>
      <translation>从此处分叉</translation>
    </message>
    <message>
      <source>Rename branch…</source>
      <translation>重命名分支…</translation>
    </message>
    <message>
      <source>Delete branch</source>
      <translation>删除分支</translation>
    </message>
    <message>
      <source>Undo %1</source>
      <translation>撤销 %1</translation>
    </message>
    <message>
      <source>Undo</source>
      <translation>撤销</translation>
    </message>
    <message>
      <source>Redo %1</source>
      <translation>重做 %1</translation>
    </message>
    <message>
      <source>Redo</source>
      <translation>重做</translation>
    </message>
    <message>
      <source>Layers panel</source>
      <translation>图层面板</translation>
    </message>
  </context>
  <context>
    <name>AboutBox</name>
    <message>
      <source>About Undo Studio</source>
      <translation>关于 Undo Studio</translation>
    </message>
    <message>
      <source>(not installed)</source>
      <translation>（未安装）</translation>
    </message>
    <message>
      <source>Shows how a finished artwork could have been painted, step by step.</source>
      <translation>逐步展示一幅完成的作品可能是如何画出来的。</translation>
    </message>
    <message>
      <source>Every process it shows is AI-simulated, not a recording of how the artwork was made.</source>
      <translation>它展示的每个过程都是 AI 模拟的，并非作品实际创作过程的记录。</translation>
    </message>
    <message>
      <source>Licence: %1</source>
      <translation>许可证：%1</translation>
    </message>
  </context>
  <context>
    <name>ShortcutsSheet</name>
    <message>
      <source>Keyboard shortcuts</source>
      <translation>键盘快捷键</translation>
    </message>
    <message>
      <source>Keys</source>
      <translation>按键</translation>
    </message>
    <message>
      <source>Does</source>
      <translation>作用</translation>
    </message>
  </context>
  <context>
    <name>PreferencesDialog</name>
    <message>
      <source>Preferences</source>
      <translation>偏好设置</translation>
    </message>
    <message>
      <source>Models folder</source>
      <translation>模型文件夹</translation>
    </message>
    <message>
      <source>Frames kept in memory; the project file keeps the rest.</source>
      <translation>保存在内存中的帧；其余的帧由项目文件保存。</translation>
    </message>
    <message>
      <source>Memory for frames</source>
      <translation>帧缓存内存</translation>
    </message>
    <message>
      <source>Language</source>
      <translation>语言</translation>
    </message>
    <message>
      <source>Export folder</source>
      <translation>导出文件夹</translation>
    </message>
    <message>
      <source>The models folder and the language apply when Undo Studio is restarted.</source>
      <translation>模型文件夹和语言在重新启动 Undo Studio 后生效。</translation>
    </message>
    <message>
      <source>Browse…</source>
      <translation>浏览…</translation>
    </message>
  </context>
  <context>
    <name>ScorePanel</name>
    <message>
      <source>s</source>
      <translation>秒</translation>
    </message>
    <message>
      <source>frame</source>
      <translation>帧</translation>
    </message>
    <message>
      <source>Canvas flipped: %1</source>
      <translation>画布翻转：%1</translation>
    </message>
    <message>
      <source>Mirrored: %1</source>
      <translation>镜像：%1</translation>
    </message>
    <message>
      <source>yes</source>
      <translation>是</translation>
    </message>
    <message>
      <source>no</source>
      <translation>否</translation>
    </message>
    <message>
      <source>Turned: %1° clockwise</source>
      <translation>旋转：顺时针 %1°</translation>
    </message>
    <message>
      <source>Recording start and end…</source>
      <translation>录制的开始与结束…</translation>
    </message>
    <message>
      <source>Move where painting starts and ends in the recording</source>
      <translation>调整录制中绘画开始和结束的位置</translation>
    </message>
    <message>
      <source>Find the closest process</source>
      <translation>寻找最接近的过程</translation>
    </message>
    <message>
      <source>Try the procedural engine's seeds and settings for a while and add the closest as a branch</source>
      <translation>尝试程序化引擎的多个种子和设置一段时间，并把最接近的添加为分支</translation>
    </message>
    <message>
      <source>Score branches against the recording</source>
      <translation>按录制为分支评分</translation>
    </message>
    <message>
      <source>Add a recording (File › Add recording…), then score the branches.</source>
      <translation>请先添加录制（文件 › 添加录制…），再为分支评分。</translation>
    </message>
    <message>
      <source>Painting progress</source>
      <translation>绘画进度</translation>
    </message>
    <message>
      <source>Distance to final</source>
      <translation>与完成画面的差距</translation>
    </message>
    <message>
      <source>Branch</source>
      <translation>分支</translation>
    </message>
    <message>
      <source>Score</source>
      <translation>得分</translation>
    </message>
    <message>
      <source>Frames (DTW)</source>
      <translation>帧差异（DTW）</translation>
    </message>
    <message>
      <source>Curve area</source>
      <translation>曲线面积</translation>
    </message>
    <message>
      <source>Order</source>
      <translation>顺序</translation>
    </message>
  </context>
  <context>
    <name>ScoreController</name>
    <message>
      <source>Recording start and end</source>
      <translation>录制的开始与结束</translation>
    </message>
    <message>
      <source>s</source>
      <translation>秒</translation>
    </message>
    <message>
      <source>frame</source>
      <translation>帧</translation>
    </message>
    <message>
      <source>Painting starts at</source>
      <translation>绘画开始于</translation>
    </message>
    <message>
      <source>Painting ends at</source>
      <translation>绘画结束于</translation>
    </message>
    <message>
      <source>As found</source>
      <translation>自动检测值</translation>
    </message>
    <message>
      <source>Move the start and end of “%1”</source>
      <translation>调整“%1”的开始与结束</translation>
    </message>
    <message>
      <source>Searching for the closest process… %1 %</source>
      <translation>正在寻找最接近的过程… %1 %</translation>
    </message>
    <message>
      <source>Stop searching</source>
      <translation>停止寻找</translation>
    </message>
    <message>
      <source>The search was stopped.</source>
      <translation>寻找已停止。</translation>
    </message>
    <message>
      <source>Closest found: seed %1</source>
      <translation>最接近：种子 %1</translation>
    </message>
    <message>
      <source>Open an artwork first.</source>
      <translation>请先打开作品。</translation>
    </message>
    <message>
      <source>Add a recording (File › Add recording…), then score the branches.</source>
      <translation>请先添加录制（文件 › 添加录制…），再为分支评分。</translation>
    </message>
    <message>
      <source>The recording is still being aligned; score again in a moment.</source>
      <translation>录制仍在对齐中，请稍后再评分。</translation>
    </message>
    <message>
      <source>Create a branch to score against the recording.</source>
      <translation>请先创建一个分支，再按录制评分。</translation>
    </message>
    <message>
      <source>Scoring %1 branches…</source>
      <translation>正在为 %1 个分支评分…</translation>
    </message>
    <message>
      <source>Scoring was cancelled.</source>
      <translation>评分已取消。</translation>
    </message>
    <message>
      <source>Closest to the recording: %1</source>
      <translation>最接近录制的是：%1</translation>
    </message>
    <message>
      <source>The recording is aligned: score the branches against it.</source>
      <translation>录制已对齐：现在可以按录制为分支评分。</translation>
    </message>
  </context>
  <context>
    <name>LayersPanel</name>
    <message>
      <source>New Layers branch</source>
      <translation>新建图层分支</translation>
    </message>
    <message>
      <source>A branch built from the file&apos;s own layers</source>
      <translation>由文件自身图层生成的分支</translation>
    </message>
    <message>
      <source>Layer</source>
      <translation>图层</translation>
    </message>
    <message>
      <source>Class</source>
      <translation>类别</translation>
    </message>
    <message>
      <source>Steps</source>
      <translation>步数</translation>
    </message>
    <message>
      <source>Click a layer to see it being painted</source>
      <translation>点击图层，查看它被绘制的过程</translation>
    </message>
    <message>
      <source>Drag a layer to paint it earlier or later (a new branch).</source>
      <translation>拖动图层可让它更早或更晚绘制（生成新分支）。</translation>
    </message>
    <message>
      <source>Stack</source>
      <translation>图层堆栈</translation>
    </message>
    <message>
      <source>Painting order</source>
      <translation>绘制顺序</translation>
    </message>
    <message>
      <source>Sketch</source>
      <translation>草稿</translation>
    </message>
    <message>
      <source>Line art</source>
      <translation>线稿</translation>
    </message>
    <message>
      <source>Base colours</source>
      <translation>底色</translation>
    </message>
    <message>
      <source>Shadows</source>
      <translation>阴影</translation>
    </message>
    <message>
      <source>Highlights</source>
      <translation>高光</translation>
    </message>
    <message>
      <source>Background</source>
      <translation>背景</translation>
    </message>
    <message>
      <source>Effects</source>
      <translation>特效</translation>
    </message>
    <message>
      <source>Text</source>
      <translation>文字</translation>
    </message>
    <message>
      <source>Change the class: a new branch paints the layer that way</source>
      <translation>更改类别：新分支会按该类别绘制此图层</translation>
    </message>
    <message>
      <source>Paints-UNDO from these layers</source>
      <translation>以这些图层生成 Paints-UNDO 分支</translation>
    </message>
    <message>
      <source>A Paints-UNDO branch whose keyframes are these layers' stages: its model paints the steps between real stages of your artwork (needs the Paints-UNDO model files)</source>
      <translation>一个以这些图层的各个阶段为关键帧的 Paints-UNDO 分支：模型在作品真实的各阶段之间绘制过渡步骤（需要 Paints-UNDO 模型文件）</translation>
    </message>
  </context>
  <context>
    <name>LayersController</name>
    <message>
      <source>Approximated (in the merged image only, arriving at the end): %1</source>
      <translation>近似处理（仅存在于合并图像中，在最后出现）：%1</translation>
    </message>
    <message>
      <source>Planning the layers of “%1”…</source>
      <translation>正在规划“%1”的图层…</translation>
    </message>
    <message>
      <source>%1 layers, as planned in “%2”. Change a class or the order to make a new branch.</source>
      <translation>共 %1 个图层，按“%2”的规划显示。更改类别或顺序会生成新分支。</translation>
    </message>
    <message>
      <source>not painted</source>
      <translation>不绘制</translation>
    </message>
    <message>
      <source>Empty, hidden in a hidden group, or not planned yet</source>
      <translation>空图层、位于隐藏组中，或尚未规划</translation>
    </message>
    <message>
      <source>%1 (hidden)</source>
      <translation>%1（隐藏）</translation>
    </message>
    <message>
      <source>Hidden in the file: painted early, hidden again when the artist would have</source>
      <translation>在文件中隐藏：先被画出，之后在画师通常会隐藏它的时候再隐藏</translation>
    </message>
    <message>
      <source>%1–%2</source>
      <translation>%1–%2</translation>
    </message>
    <message>
      <source>hidden by %1</source>
      <translation>第 %1 步时隐藏</translation>
    </message>
    <message>
      <source>“%1” as %2</source>
      <translation>“%1”改为%2</translation>
    </message>
    <message>
      <source>“%1” moved</source>
      <translation>“%1”已移动</translation>
    </message>
    <message>
      <source>Your painting order</source>
      <translation>自定绘制顺序</translation>
    </message>
    <message>
      <source>This branch is not built from the layers; choose a layers branch to edit its plan.</source>
      <translation>此分支不是由图层生成的；请选择一个图层分支来编辑其规划。</translation>
    </message>
    <message>
      <source>Its keyframes are the layers' stages at steps %1.</source>
      <translation>它的关键帧是图层在第 %1 步的各个阶段。</translation>
    </message>
    <message>
      <source>This fork shows the frames of “%1” from step %2 up; below it, its own plan (this one).</source>
      <translation>此分叉在第 %2 步及以上显示“%1”的帧；在此之下是它自己的规划（即此处所示）。</translation>
    </message>
    <message>
      <source>The fork “%1” shows these frames from step %2 up; below it, its own plan.</source>
      <translation>分叉“%1”在第 %2 步及以上显示这些帧；在此之下是它自己的规划。</translation>
    </message>
    <message>
      <source>Paints-UNDO from “%1”</source>
      <translation>由“%1”生成的 Paints-UNDO</translation>
    </message>
  </context>
</TS>